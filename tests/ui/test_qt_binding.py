"""The Qt binding must not corrupt Python's reference counts.

PySide6 6.12.0 on Python 3.11 released a reference to None on every call of a Qt method that
returns nothing (QPainter.setPen, setBrush, ...): a chart drawing its labels a few thousand
times killed the app with "Fatal Python error: none_dealloc". pyproject.toml keeps that release
out; this test fails if a release with the fault comes back.
"""

import sys

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter


def test_qt_calls_that_return_nothing_leave_none_alone(qapp):
    image = QImage(64, 64, QImage.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    before = sys.getrefcount(None)
    for _ in range(500):
        painter.setPen(QColor("#334155"))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(QRectF(1, 1, 10, 10))
    after = sys.getrefcount(None)
    painter.end()
    assert after > before - 100, f"None lost {before - after} references in 1,500 Qt calls"
