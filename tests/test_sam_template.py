"""template.yaml: lints clean, transforms with the SAM translator, and keeps the contract."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from tests.lambda_support import TEMPLATE_PATH, load_template

PUBLISHED_PARAMETERS = {"UserPoolID", "AmplifyStackName", "BucketName"}
PUBLISHED_OUTPUTS = {"ApiURL", "UserFileBucket", "Region"}
PARAMETERS = {
    "UserPoolID": "us-east-1_Abc123",
    "AmplifyStackName": "amplify-ds-dev-1",
    "BucketName": "docscan-user-files",
}
ROUTES = {
    ("post", "/projects"): "docscan.lambdas.api.create_project",
    ("get", "/projects"): "docscan.lambdas.api.list_projects",
    ("post", "/projects/delete"): "docscan.lambdas.api.delete_project",
    ("get", "/pages/count/{project+}"): "docscan.lambdas.api.page_count",
    ("get", "/pages/pdf/{project+}"): "docscan.lambdas.api.pdf",
    ("get", "/pages/{project+}"): "docscan.lambdas.api.list_pages",
    ("get", "/pages/count"): "docscan.lambdas.api.list_pages",
    ("get", "/pages/pdf"): "docscan.lambdas.api.list_pages",
}


class ManagedPolicies:
    """The translator's ManagedPolicyLoader, without IAM: the names it may look up."""

    def load(self) -> dict[str, str]:
        base = "arn:aws:iam::aws:policy/service-role/"
        return {
            name: base + name
            for name in ("AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole")
        }


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    template = load_template()
    # What `sam package` does before CloudFormation sees the template.
    template["Globals"]["Function"]["CodeUri"] = "s3://artifacts/docscan.zip"
    template["Resources"]["DependenciesLayer"]["Properties"]["ContentUri"] = "s3://artifacts/l.zip"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return transform(template, PARAMETERS, ManagedPolicies())


def resources_of(document: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in document["Resources"].items() if v["Type"] == kind}


def test_cfn_lint_finds_no_errors_or_warnings():
    from cfnlint.api import lint_all

    errors = [m for m in lint_all(TEMPLATE_PATH.read_text()) if m.rule.id[0] in "EW"]
    assert errors == []


def test_parameters_outputs_and_logical_ids_are_the_published_ones(template):
    assert set(template["Parameters"]) == PUBLISHED_PARAMETERS
    assert set(template["Outputs"]) >= PUBLISHED_OUTPUTS
    resources = template["Resources"]
    # Same logical ids: deploying over a published stack updates them in place.
    for name in (
        "DocumentScannerAPI",
        "UserFileBucket",
        "ProjectsTable",
        "PagesTable",
        "ProcessDocument",
        "CreateProject",
        "FetchProjects",
        "DeleteProject",
        "FetchPageCount",
        "GeneratePDF",
    ):
        assert name in resources
    for table in ("ProjectsTable", "PagesTable"):
        assert resources[table]["DeletionPolicy"] == "Retain"
    assert resources["UserFileBucket"]["DeletionPolicy"] == "Retain"


def test_tables_keep_the_published_keys(template):
    def keys(name: str) -> list[tuple[str, str, str]]:
        props = template["Resources"][name]["Properties"]
        types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
        return [
            (k["AttributeName"], k["KeyType"], types[k["AttributeName"]])
            for k in props["KeySchema"]
        ]

    assert keys("ProjectsTable") == [("username", "HASH", "S"), ("project_name", "RANGE", "S")]
    assert keys("PagesTable") == [("project", "HASH", "S"), ("page", "RANGE", "N")]


def test_code_and_layer_paths_build_the_docscan_package(template):
    root = (TEMPLATE_PATH.parent / template["Globals"]["Function"]["CodeUri"]).resolve()
    assert (root / "docscan" / "lambdas" / "api.py").is_file()
    assert (root / "docscan" / "pdf" / "fonts" / "DejaVuSans.ttf").is_file()
    layer = (
        TEMPLATE_PATH.parent
        / template["Resources"]["DependenciesLayer"]["Properties"]["ContentUri"]
    )
    requirements = (layer / "requirements.txt").read_text().split("\n")
    names = {
        line.split(">")[0].split("=")[0].strip().lower()
        for line in requirements
        if line.strip() and not line.startswith("#")
    }
    assert {"pillow", "fpdf2", "pikepdf"} <= names


def test_every_handler_exists(template):
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            module, _, name = resource["Properties"]["Handler"].rpartition(".")
            assert callable(getattr(importlib.import_module(module), name))


def test_routes_and_authorizer(transformed):
    (api,) = resources_of(transformed, "AWS::ApiGateway::RestApi").values()
    body = api["Properties"]["Body"]
    functions = resources_of(transformed, "AWS::Lambda::Function")
    found = {}
    for path, methods in body["paths"].items():
        for method, spec in methods.items():
            if method == "options":
                continue
            assert spec["security"] == [{"CognitoAuthorizer": []}]
            uri = spec["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            function = uri.split("${")[-1].split(".Arn}")[0]
            found[(method, path)] = functions[function]["Properties"]["Handler"]
    assert found == ROUTES
    authorizer = body["securityDefinitions"]["CognitoAuthorizer"]
    assert authorizer["x-amazon-apigateway-authorizer"]["type"] == "cognito_user_pools"
    assert authorizer["name"] == "Authorization"


def test_uploads_reach_the_ocr_function_through_a_queue_with_a_dead_letter_queue(transformed):
    resources = transformed["Resources"]
    notification = resources["UserFileBucket"]["Properties"]["NotificationConfiguration"]
    (queue_config,) = notification["QueueConfigurations"]
    rules = {r["Name"]: r["Value"] for r in queue_config["Filter"]["S3Key"]["Rules"]}
    assert rules == {"prefix": "private/", "suffix": ".png"}
    assert queue_config["Queue"] == {"Fn::GetAtt": ["PageQueue", "Arn"]}

    queue = resources["PageQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["PageDeadLetterQueue", "Arn"]
    }
    ocr = resources["ProcessDocument"]["Properties"]
    env = ocr["Environment"]["Variables"]
    assert int(env["DOCSCAN_MAX_RECEIVE_COUNT"]) == queue["RedrivePolicy"]["maxReceiveCount"]
    assert queue["VisibilityTimeout"] >= 6 * ocr["Timeout"]

    mapping = resources["ProcessDocumentPageUploaded"]["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["PageQueue", "Arn"]}
    # Exported PDFs are outside the notification's prefix.
    from docscan.lambdas.api import EXPORT_PREFIX

    assert not EXPORT_PREFIX.startswith(rules["prefix"])


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]
    ]


def _tables(statements: list[dict[str, Any]]) -> set[str]:
    found = set()
    for statement in statements:
        if not any(str(a).startswith("dynamodb:") for a in _list(statement["Action"])):
            continue
        for resource in _list(statement["Resource"]):
            found.add(resource["Fn::Sub"][1]["tableName"]["Ref"])
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_each_function_gets_only_what_it_needs(transformed):
    resources = transformed["Resources"]
    expected_tables = {
        "CreateProject": {"ProjectsTable"},
        "FetchProjects": {"ProjectsTable"},
        "DeleteProject": {"ProjectsTable", "PagesTable"},
        "FetchPageCount": {"PagesTable"},
        "GeneratePDF": {"ProjectsTable", "PagesTable"},
        "FetchPages": {"PagesTable"},
        "ProcessDocument": {"PagesTable"},
    }
    for function, tables in expected_tables.items():
        role = resources[f"{function}Role"]
        statements = _statements(role)
        assert _tables(statements) == tables, function
        actions = {a for s in statements for a in _list(s["Action"])}
        assert not any(a.endswith("*") for a in actions), function
        assert role["Properties"]["ManagedPolicyArns"] == [
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        ], function
        s3 = {a for a in actions if a.startswith("s3:")}
        writes_s3 = {"s3:PutObject", "s3:DeleteObject"} & s3
        if function == "DeleteProject":
            assert writes_s3 == {"s3:DeleteObject"}
        elif function == "GeneratePDF":
            assert writes_s3 == {"s3:PutObject"}
        else:
            # The OCR function cannot write a .png, so it can never trigger itself.
            assert not writes_s3, function
        textract = {a for a in actions if a.startswith("textract:")}
        assert textract == (
            {"textract:DetectDocumentText"} if function == "ProcessDocument" else set()
        )


def test_the_amplify_auth_role_is_confined_to_its_identity_prefix(transformed):
    policy = transformed["Resources"]["UserFileBucketAuthRolePolicy"]["Properties"]
    assert policy["Roles"] == [{"Fn::Sub": "${AmplifyStackName}-authRole"}]
    objects, listing = policy["PolicyDocument"]["Statement"]
    assert set(objects["Action"]) == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert objects["Resource"]["Fn::Sub"].endswith(
        "/private/${!cognito-identity.amazonaws.com:sub}/*"
    )
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Condition"]["StringLike"]["s3:prefix"] == [
        "private/${cognito-identity.amazonaws.com:sub}/",
        "private/${cognito-identity.amazonaws.com:sub}/*",
    ]


def test_template_is_shipped_as_package_data():
    pyproject = (Path(TEMPLATE_PATH).parents[2] / "pyproject.toml").read_text()
    assert '"docscan.lambdas" = ["*.yaml"' in pyproject
