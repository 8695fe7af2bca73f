"""How far apart two colours look, to normal eyes and to the commonest colour-blind eyes. No Qt.

About one man in twelve sees red and green poorly (deuteranomaly and protanomaly); a chart whose
company icons and shipment links differ only in that way says less to him than to his
colleague. The palette is checked with this module: each colour is passed through the
Machado, Oliveira and Fernandes (2009) simulation of dichromacy (a 3x3 matrix on linear RGB),
then turned into CIELAB and compared with CIEDE2000, the colour difference that tracks what
people report (about 2 is just noticeable; 10 and more is a different colour at a glance).
"""

from __future__ import annotations

import numpy as np

#: Machado et al. 2009, severity 1.0 (complete dichromacy), for linear RGB.
DEFICIENCY_MATRICES = {
    "normal": np.eye(3),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}

_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def hex_to_rgb(colours) -> np.ndarray:
    """``"#rrggbb"`` strings as an (n, 3) array of sRGB values from 0 to 1."""
    return np.array([[int(c.lstrip("#")[k:k + 2], 16) / 255 for k in (0, 2, 4)] for c in colours], dtype=float)


def _to_linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear: np.ndarray) -> np.ndarray:
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


def simulate(srgb: np.ndarray, deficiency: str) -> np.ndarray:
    """The sRGB colours (n, 3) as someone with ``deficiency`` sees them (a key of DEFICIENCY_MATRICES)."""
    linear = _to_linear(np.asarray(srgb, dtype=float)) @ DEFICIENCY_MATRICES[deficiency].T
    return _to_srgb(np.clip(linear, 0.0, 1.0))


def srgb_to_lab(srgb: np.ndarray) -> np.ndarray:
    """sRGB (n, 3) in 0..1 to CIELAB under D65."""
    xyz = _to_linear(np.asarray(srgb, dtype=float)) @ _SRGB_TO_XYZ.T / _D65_WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 between rows of two (n, 3) CIELAB arrays (Sharma, Wu and Dalal 2005)."""
    lab1, lab2 = np.atleast_2d(lab1).astype(float), np.atleast_2d(lab2).astype(float)
    L1, a1, b1 = lab1.T
    L2, a2, b2 = lab2.T
    mean_c = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(mean_c**7 / (mean_c**7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    both = (c1p * c2p) != 0
    dL = L2 - L1
    dC = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(both, dh, 0.0)
    dH = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    mean_L = (L1 + L2) / 2
    mean_cp = (c1p + c2p) / 2
    hsum = h1p + h2p
    mean_h = np.where(np.abs(h1p - h2p) <= 180, hsum / 2, np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2))
    mean_h = np.where(both, mean_h, hsum)
    t = (1 - 0.17 * np.cos(np.radians(mean_h - 30)) + 0.24 * np.cos(np.radians(2 * mean_h))
         + 0.32 * np.cos(np.radians(3 * mean_h + 6)) - 0.20 * np.cos(np.radians(4 * mean_h - 63)))
    s_l = 1 + 0.015 * (mean_L - 50) ** 2 / np.sqrt(20 + (mean_L - 50) ** 2)
    s_c = 1 + 0.045 * mean_cp
    s_h = 1 + 0.015 * mean_cp * t
    r_c = 2 * np.sqrt(mean_cp**7 / (mean_cp**7 + 25.0**7))
    r_t = -np.sin(np.radians(2 * 30 * np.exp(-(((mean_h - 275) / 25) ** 2)))) * r_c
    return np.sqrt((dL / s_l) ** 2 + (dC / s_c) ** 2 + (dH / s_h) ** 2 + r_t * (dC / s_c) * (dH / s_h))


def seen_difference(colour_a: str, colour_b: str, deficiency: str = "normal") -> float:
    """CIEDE2000 between two ``#rrggbb`` colours as seen with ``deficiency`` ("normal" for none)."""
    labs = srgb_to_lab(simulate(hex_to_rgb([colour_a, colour_b]), deficiency))
    return float(delta_e_2000(labs[:1], labs[1:])[0])


def pairwise_differences(colours: list[str], deficiency: str = "normal") -> np.ndarray:
    """The (n, n) matrix of CIEDE2000 between ``colours`` as seen with ``deficiency``."""
    labs = srgb_to_lab(simulate(hex_to_rgb(colours), deficiency))
    n = len(colours)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return delta_e_2000(labs[i.ravel()], labs[j.ravel()]).reshape(n, n)
