"""The AWS backend: Cognito identity, S3 page uploads and the REST API."""

from docscan.backends.aws.backend import AwsBackend

__all__ = ["AwsBackend"]
