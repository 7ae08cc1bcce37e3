import json

from strata.gateway.web.errors import describe_validation_errors, error_response


def test_error_body_shape():
    response = error_response(409, "stale_version", "reload")
    assert response.status_code == 409
    assert json.loads(response.body) == {"error": {"code": "stale_version", "message": "reload"}}


def test_validation_errors_name_the_fields():
    errors = [
        {"loc": ("body", "name"), "msg": "Field required"},
        {"loc": ("query", "limit"), "msg": "too big"},
    ]
    assert describe_validation_errors(errors) == "body.name: Field required; query.limit: too big"
