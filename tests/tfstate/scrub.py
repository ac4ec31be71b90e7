#!/usr/bin/env python3
"""Scrub secrets out of a Terraform state file (format v4, best effort for v3).

usage: python3 scrub.py IN.tfstate OUT.tfstate TAG
  TAG is a short per-file tag (e.g. "07"); markers look like CORPUS-SECRET-07-0001.

Second pass: any other string that equals or contains a scrubbed secret
(password-class values only; random_string results and non-secret-named
sensitive_attributes paths are not propagated) is scrubbed as well.

Every scrubbed value is replaced by a marker that is unique per occurrence.
Only string values are replaced (a string stays a string); null, "", booleans
and numbers are left alone (they carry no secret); lists/maps under a secret
key are scrubbed leaf by leaf.

Output formatting: the file is re-serialised in Terraform's own style (Go
json.MarshalIndent, 2-space indent, HTML-escaped <>&). Before writing, the
script checks that the *unmodified* document re-serialises to exactly the
original bytes; if not, it falls back to replacing the JSON-encoded secret
strings textually in the original bytes, so everything else stays
byte-for-byte. Prints a one-line JSON summary on stdout.
"""
import json
import re
import sys

# exact attribute names (case-insensitive) whose string values are secrets
SECRET_KEYS = {
    "password", "master_password", "secret", "secret_access_key", "private_key",
    "private_key_pem", "private_key_openssh", "private_key_pem_pkcs8", "token",
    "ses_smtp_password_v4", "encrypted_secret", "secret_string", "secret_binary",
    "access_token", "auth_token", "client_secret", "client_key", "password_data",
    "bcrypt_hash", "kube_config_raw", "kube_admin_config_raw", "primary_access_key",
    "secondary_access_key", "primary_connection_string", "secondary_connection_string",
    "connection_string", "sas", "shared_key", "api_key", "webhook_url", "auth",
    "password_wo", "master_user_password", "admin_password", "db_password",
}
# substrings that make an attribute name secret
SECRET_SUBSTR = ("password", "secret", "private_key", "token", "access_key",
                 "connection_string", "kube_config", "kubeconfig")
# ...unless the name looks like an identifier/flag rather than a secret value
NOT_SECRET_SUFFIX = ("_arn", "_id", "_ids", "_name", "_names", "_length", "_enabled",
                     "_version", "_status", "_type", "_validity", "_units", "_count",
                     "_hop_limit", "_kms_key_id", "_rotation", "_policy")
NOT_SECRET_EXACT = {"http_tokens", "get_password_data", "manage_master_user_password",
                    "password_reset_required", "password_length", "secret_id",
                    "secret_arn", "token_key_id", "idempotency_token",
                    "access_key_id", "kms_key_id", "master_user_secret",
                    "require_secret", "secret_name", "secret_version_id"}
BEANSTALK_SECRET_WORDS = ("PASSWORD", "SECRET", "KEY", "TOKEN")
URL_CRED_RE = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
PEM_RE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
TOKEN_RE = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,})")


class Scrubber:
    def __init__(self, tag):
        self.tag = tag
        self.n = 0
        self.replaced = []  # (original string, marker)
        self.where = []     # human-readable locations
        self.strong = set()  # originals that must not survive anywhere (propagated)

    def mark(self, value, where, strong=True):
        if not isinstance(value, str) or value == "":
            return value
        if value.startswith("CORPUS-SECRET-"):
            return value
        self.n += 1
        if strong:
            self.strong.add(value)
        m = "CORPUS-SECRET-%s-%04d" % (self.tag, self.n)
        self.replaced.append((value, m))
        self.where.append(where)
        return m

    def mark_all(self, value, where, strong=True):
        """scrub every string leaf under value"""
        if isinstance(value, str):
            return self.mark(value, where, strong)
        if isinstance(value, list):
            return [self.mark_all(v, where, strong) for v in value]
        if isinstance(value, dict):
            return {k: self.mark_all(v, where, strong) for k, v in value.items()}
        return value

    def propagate(self, node, where):
        """second pass: any other string equal to / containing a scrubbed secret is scrubbed too"""
        strong = [x for x in self.strong if len(x) >= 8]
        def hit(v):
            return isinstance(v, str) and not v.startswith("CORPUS-SECRET-") and (
                v in self.strong or any(x in v for x in strong))
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "sensitive_attributes":
                    continue
                if hit(v):
                    node[k] = self.mark(v, where + "." + k + " (contains a scrubbed secret)")
                elif isinstance(v, (dict, list)):
                    self.propagate(v, where + "." + k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if hit(v):
                    node[i] = self.mark(v, "%s[%d] (contains a scrubbed secret)" % (where, i))
                elif isinstance(v, (dict, list)):
                    self.propagate(v, "%s[%d]" % (where, i))


def key_is_secret(key):
    k = key.lower()
    if k in NOT_SECRET_EXACT:
        return False
    if k in SECRET_KEYS:
        return True
    if k.endswith(NOT_SECRET_SUFFIX):
        return False
    return any(s in k for s in SECRET_SUBSTR)


def value_looks_secret(v):
    return isinstance(v, str) and (URL_CRED_RE.search(v) or PEM_RE.search(v) or TOKEN_RE.search(v))


def walk(s, node, where):
    """generic pass: secret-named keys and secret-looking string values"""
    if isinstance(node, dict):
        for k in list(node):
            v = node[k]
            w = where + "." + k
            if key_is_secret(k) and not isinstance(v, (bool, int, float)) and v is not None:
                node[k] = s.mark_all(v, w)
            elif isinstance(v, (dict, list)):
                walk(s, v, w)
            elif value_looks_secret(v):
                node[k] = s.mark(v, w)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, (dict, list)):
                walk(s, v, "%s[%d]" % (where, i))
            elif value_looks_secret(v):
                node[i] = s.mark(v, "%s[%d]" % (where, i))


def scrub_path(s, attrs, path, where):
    """follow a sensitive_attributes path (list of get_attr/index steps) and scrub the leaf"""
    parent, key = None, None
    cur = attrs
    for step in path:
        if not isinstance(step, dict):
            return
        t, v = step.get("type"), step.get("value")
        if t == "get_attr":
            if not isinstance(cur, dict) or v not in cur:
                return
            parent, key, cur = cur, v, cur[v]
        elif t == "index":
            idx = v.get("value") if isinstance(v, dict) else v
            if isinstance(cur, list) and isinstance(idx, (int, float)) and 0 <= int(idx) < len(cur):
                parent, key, cur = cur, int(idx), cur[int(idx)]
            elif isinstance(cur, dict) and idx in cur:
                parent, key, cur = cur, idx, cur[idx]
            else:
                return
        else:
            return
    if parent is not None:
        last = [st.get("value") for st in path if isinstance(st, dict) and st.get("type") == "get_attr"]
        strong = bool(last) and key_is_secret(str(last[-1]))
        parent[key] = s.mark_all(cur, "%s.%s (sensitive_attributes)" % (where, ".".join(map(str, last))), strong)


def scrub_v4(s, j):
    for o, ov in (j.get("outputs") or {}).items():
        if isinstance(ov, dict) and ov.get("sensitive"):
            ov["value"] = s.mark_all(ov.get("value"), "outputs." + o)
    for r in j.get("resources") or []:
        t = r.get("type", "")
        addr = ".".join(x for x in (r.get("module"), "data" if r.get("mode") == "data" else None, t, r.get("name")) if x)
        for n, inst in enumerate(r.get("instances") or []):
            w = "%s[%s]" % (addr, json.dumps(inst.get("index_key", n)))
            a = inst.get("attributes")
            if a is None and "attributes_flat" in inst:
                scrub_flat(s, inst["attributes_flat"], t, w)
                continue
            if not isinstance(a, dict):
                continue
            if t == "aws_api_gateway_api_key" and "value" in a:
                a["value"] = s.mark(a["value"], w + ".value")
            if t in ("random_password", "random_string"):
                strong = t == "random_password"
                if a.get("id") == a.get("result"):
                    a["id"] = s.mark(a.get("id"), w + ".id (== result)", strong)
                a["result"] = s.mark(a.get("result"), w + ".result", strong)
            if t == "aws_ssm_parameter" and a.get("type") == "SecureString":
                a["value"] = s.mark_all(a.get("value"), w + ".value (SecureString)")
            if t == "aws_secretsmanager_secret_version":
                a["secret_string"] = s.mark_all(a.get("secret_string"), w + ".secret_string")
            if t.startswith("aws_elastic_beanstalk_") or t.startswith("aws_elastic_beanstalk"):
                for blk in ("setting", "all_settings"):
                    for st in a.get(blk) or []:
                        if isinstance(st, dict) and any(x in str(st.get("name", "")).upper() for x in BEANSTALK_SECRET_WORDS):
                            st["value"] = s.mark(st.get("value"), "%s.%s[%s]" % (w, blk, st.get("name")))
            for p in inst.get("sensitive_attributes") or []:
                if isinstance(p, list):
                    scrub_path(s, a, p, w)
            walk(s, a, w)


def flat_leaf_key(k):
    parts = [p for p in k.split(".") if p not in ("#", "%") and not p.isdigit()]
    return parts[-1] if parts else k


def scrub_flat(s, attrs, t, where):
    """v3 / attributes_flat: flat map of "a.0.b" -> string"""
    setting_names = {}
    for k, v in attrs.items():
        m = re.match(r"^((?:setting|all_settings)\.\d+)\.name$", k)
        if m:
            setting_names[m.group(1)] = v
    for k in list(attrs):
        v = attrs[k]
        lk = flat_leaf_key(k)
        m = re.match(r"^((?:setting|all_settings)\.\d+)\.value$", k)
        if (key_is_secret(lk) and not k.endswith((".#", ".%"))) or value_looks_secret(v):
            attrs[k] = s.mark(v, where + "." + k)
        elif t == "aws_api_gateway_api_key" and k == "value":
            attrs[k] = s.mark(v, where + "." + k)
        elif t in ("random_password", "random_string") and k in ("result", "id"):
            attrs[k] = s.mark(v, where + "." + k)
        elif m and any(x in str(setting_names.get(m.group(1), "")).upper() for x in BEANSTALK_SECRET_WORDS):
            attrs[k] = s.mark(v, where + "." + k)


def scrub_v3(s, j):
    for m in j.get("modules") or []:
        mp = ".".join(m.get("path") or [])
        for o, ov in (m.get("outputs") or {}).items():
            if isinstance(ov, dict) and ov.get("sensitive"):
                ov["value"] = s.mark_all(ov.get("value"), mp + ".outputs." + o)
        for name, r in (m.get("resources") or {}).items():
            t = r.get("type", "")
            for inst in [r.get("primary")] + list(r.get("deposed") or []):
                if isinstance(inst, dict) and isinstance(inst.get("attributes"), dict):
                    scrub_flat(s, inst["attributes"], t, mp + "." + name)


def go_dumps(obj, indent):
    out = json.dumps(obj, indent=indent, ensure_ascii=False)
    return (out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
               .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def detect_format(raw_text, obj):
    for indent in (2, 4, "\t"):
        for ea in (False, True):
            txt = go_dumps(obj, indent) if not ea else json.dumps(obj, indent=indent)
            for tail in ("\n", ""):
                if txt + tail == raw_text:
                    return indent, ea, tail
    return None


def main():
    src, dst, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    raw = open(src, "rb").read()
    text = raw.decode("utf-8")
    j = json.loads(text)
    fmt = detect_format(text, json.loads(text))
    s = Scrubber(tag)
    if j.get("version") == 4:
        scrub_v4(s, j)
    elif j.get("version") in (1, 2, 3):
        scrub_v3(s, j)
    s.propagate(j, "")
    mode = "reserialised"
    if fmt:
        indent, ea, tail = fmt
        out = (json.dumps(j, indent=indent) if ea else go_dumps(j, indent)) + tail
    else:
        # textual fallback: replace each JSON-encoded secret string in the original bytes
        mode = "textual"
        out = text
        for orig, marker in s.replaced:
            for enc in {json.dumps(orig), go_dumps(orig, None), json.dumps(orig, ensure_ascii=False)}:
                out = out.replace(enc, json.dumps(marker))
        json.loads(out)
    # sanity: no original secret string of length >= 6 survives anywhere
    leaks = [w for (o, _), w in zip(s.replaced, s.where) if o in s.strong and len(o) >= 6 and json.dumps(o)[1:-1] in out]
    open(dst, "w", encoding="utf-8").write(out)
    print(json.dumps({"file": dst, "scrubbed": s.n, "mode": mode, "leaks": leaks,
                      "where": s.where}))


if __name__ == "__main__":
    main()
