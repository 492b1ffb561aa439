from fastapi.testclient import TestClient
from src.main import app

client = TestClient(app)


def test_health() -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_root_reports_environment() -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.json()["name"] == "ledgerly"
