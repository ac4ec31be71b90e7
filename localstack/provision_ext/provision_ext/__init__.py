"""LocalStack extension completing the community edition for provision: RDS, Elastic Beanstalk, test endpoints."""
