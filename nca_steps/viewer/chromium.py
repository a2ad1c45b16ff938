"""Debian's Chromium, headless, driven by Selenium: for the viewer's tests and speed benchmark.

Selenium is given the system chromedriver, so it never tries to download a browser or driver
(Selenium Manager), which cannot work offline.
"""

from __future__ import annotations

import base64
import shutil

import numpy as np

from nca_steps.errors import StepError

CHROMIUM = "chromium"
CHROMEDRIVER = "chromedriver"


def installed() -> bool:
    return bool(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER))


def headless_chromium(width: int = 1280, height: int = 900):
    """A Selenium driver of headless Chromium with a ``width`` x ``height`` window."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not installed():
        raise StepError(
            f"{CHROMIUM} and {CHROMEDRIVER} must be on PATH "
            "(Debian: apt-get install chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    return webdriver.Chrome(options=options, service=Service(shutil.which(CHROMEDRIVER)))


def viewer_state(driver) -> np.ndarray:
    """The open viewer's NCA state, (height, width, channels) float32, via ``window.nca``."""
    shape = driver.execute_script("return window.nca.shape()")
    raw = base64.b64decode(driver.execute_script("return window.nca.state()"))
    return np.frombuffer(raw, "<f4").reshape(shape)
