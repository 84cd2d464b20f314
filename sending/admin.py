"""The sending app's admin, gathered from the sub-packages that own it."""

from sending.log import admin as log_admin  # noqa: F401
from sending.suppression import admin as suppression_admin  # noqa: F401
