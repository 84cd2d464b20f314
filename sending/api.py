"""The sending app's API actions, registered by the sub-packages they live in."""

from sending.acceptance import api as acceptance_api  # noqa: F401  (SendEmail)
from sending.batch import api_receivers as batch_receivers_api  # noqa: F401  (recipient lists)
from sending.batch import api_tasks as batch_tasks_api  # noqa: F401  (BatchSendEmail, ListSendTasks)
from sending.log import api as log_api  # noqa: F401  (GetSendEmailStatus)
from sending.suppression import api as suppression_api  # noqa: F401  (the blocklists)
