"""What the tests share: nothing here is a test, and no test module imports another.

- ``paths``: the repository, the test fixtures, the shared corpus, the shipped leave request.
- ``services``: PostgreSQL, Redis and RabbitMQ for the tests that need them (skipped when
  absent, a failure under ``CI=true``).
- ``engines``: an engine on a database, the test connectors' modules, cheap password hashing.
- ``database``: the one template-database builder (definitions, seed data and people made
  once per session) and the per-test copy.
- ``client``: the one HTTP API client (tokens, headers, requests) and problem documents.
- ``scenario``: the process scenarios' client: the API, a background worker and the verbs.
- ``browser``: the web app's client (cookies, CSRF) and its scene-setting helpers.
- ``connectors``: the test connectors (scripted stock, the worker-process probe).
- ``models``: small BPMN documents built in code, so each test shows the model it runs.
- ``definitions``: YAML definition sources, their fixtures and the BPMN/DMN schemas.
- ``decisions``: small DMN decision tables built in code.
- ``audit``: a small history, and tampering with the event log as an attacker would.
"""
