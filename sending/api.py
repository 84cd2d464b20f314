"""The sending app's API actions, registered by the sub-packages they live in."""

from sending.acceptance import api as acceptance_api  # noqa: F401  (SendEmail)
from sending.log import api as log_api  # noqa: F401  (GetSendEmailStatus)
from sending.suppression import api as suppression_api  # noqa: F401  (the blocklists)
