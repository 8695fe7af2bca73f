"""Fan-in and fan-out detectors: now registered with the payment family in ``payments_contact``.

This module keeps the old import path working (``from workbench_plugins.detectors.payment_fans
import FanInDetector``); it defines no plugins of its own.
"""

from workbench_plugins.detectors.payments_contact import FanInDetector, FanOutDetector, _FanDetector

__all__ = ["FanInDetector", "FanOutDetector", "_FanDetector"]
