"""The served OpenAPI document lists every endpoint of the contract, with its refusals as
problem documents and the bearer token as its security scheme."""

from __future__ import annotations

CONTRACT = [
    ("post", "/api/v1/auth/token"), ("get", "/api/v1/me"),
    ("post", "/api/v1/users"), ("get", "/api/v1/users"), ("put", "/api/v1/users/{username}/groups"),
    ("post", "/api/v1/deployments"), ("get", "/api/v1/definitions"), ("get", "/api/v1/definitions/{key}"),
    ("get", "/api/v1/definitions/{key}/bpmn"), ("get", "/api/v1/definitions/{key}/diagram.svg"),
    ("post", "/api/v1/definitions/{key}/instances"), ("get", "/api/v1/instances"),
    ("get", "/api/v1/instances/{instance_id}"), ("post", "/api/v1/instances/{instance_id}/cancel"),
    ("get", "/api/v1/instances/{instance_id}/diagram.svg"), ("get", "/api/v1/instances/{instance_id}/history"),
    ("get", "/api/v1/tasks"), ("get", "/api/v1/tasks/{task_id}"), ("post", "/api/v1/tasks/{task_id}/claim"),
    ("post", "/api/v1/tasks/{task_id}/unclaim"), ("post", "/api/v1/tasks/{task_id}/assign"),
    ("post", "/api/v1/tasks/{task_id}/complete"), ("post", "/api/v1/files"), ("get", "/api/v1/files/{file_id}"),
    ("post", "/api/v1/messages"), ("post", "/api/v1/signals"), ("get", "/api/v1/audit/events"),
    ("get", "/api/v1/health"), ("get", "/api/v1/incidents"), ("post", "/api/v1/incidents/{incident_id}/retry"), ("post", "/api/v1/incidents/retry"),
    ("get", "/api/v1/jobs"), ("get", "/metrics"),
]


def test_every_endpoint_of_the_contract_is_documented(api):
    document = api.get("/openapi.json").json()
    missing = [(m, p) for m, p in CONTRACT if m not in document["paths"].get(p, {})]
    assert missing == []


def test_bodies_errors_and_security_are_described(api):
    document = api.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] \
        == "/api/v1/auth/token"
    complete = document["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]
    assert complete["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CompleteTask")
    assert set(complete["responses"]) >= {"200", "401", "403", "404", "409", "422"}
    assert complete["responses"]["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    start = document["paths"]["/api/v1/definitions/{key}/instances"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in start["parameters"]]
    assert "multipart/form-data" in document["paths"]["/api/v1/deployments"]["post"]["requestBody"]["content"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["paths"]["/api/v1/health"]["get"].get("security") is None
    assert document["paths"]["/api/v1/tasks"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
