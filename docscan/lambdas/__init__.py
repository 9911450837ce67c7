"""AWS Lambda entry points and the SAM template that deploys them.

`api.py` answers the REST routes behind API Gateway (one function per route, each with
its own least-privilege role); `ocr.py` consumes the SQS queue that S3 fills on every
page upload. Both run the same `ScannerService` as the local profile, on the DynamoDB,
S3 and Textract adapters.
"""
