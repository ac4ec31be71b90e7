"""The first requests to a service, made at once, all reach its handlers.

LocalStack attaches a service's operations to the request router lazily, on the service's first
request (ServiceLoader.require_service), and marks the service loaded *before* attaching them: a
second request arriving meanwhile passes the "loaded" check and finds no handler, answering
`501 InternalFailure: no handler for operation ...`. provision's first plan reads its three state
snapshots from S3 at once and met exactly that right after a start. AWS has no such window, so
here a service counts as ready for a request only once its handlers are attached: later requests
wait on the loader's own per-service lock until the first one has finished attaching.
"""



def require_service(fn, self, chain, context, response):
    """Replaces ServiceLoader.require_service (registered in patches.py)."""
    if not context.service:
        return fn(self, chain, context, response)
    name = context.service.service_name
    attached = self.__dict__.setdefault("_provision_attached", set())
    if name in attached:
        return None
    # The loader's lock is re-entrant: the original takes it again inside, on this thread.
    with self.service_locks[name]:
        result = fn(self, chain, context, response)
        attached.add(name)
    return result
