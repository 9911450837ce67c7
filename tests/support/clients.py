"""boto3 clients for tests, made once per process.

Making a client costs tens of milliseconds; moto intercepts every client made after it
was imported whenever a mock is active, so one client per service serves every test.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3


@functools.cache
def client(service: str, region: str = "us-east-1") -> Any:
    return boto3.client(service, region_name=region)


@functools.cache
def resource(service: str, region: str = "us-east-1") -> Any:
    return boto3.resource(service, region_name=region)
