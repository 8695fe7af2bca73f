import pytest

from workbench.demo import build_demo_case


@pytest.fixture
def demo_case(tmp_path):
    case = build_demo_case(tmp_path / "demo.wbcase")
    yield case
    case.close()
