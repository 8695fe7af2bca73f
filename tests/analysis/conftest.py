import pytest


@pytest.fixture
def demo_case(demo):
    return demo
