"""Test harness shared by the AWS tests: an in-process API Gateway, the published backend
on moto, Cognito set-up, and fixtures."""
