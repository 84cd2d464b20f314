"""The headers of this service's own in an SMTP submission: part of the submission
interface, which the server reads (sending.smtp.submission.message) and the console
documents (the Sender Address page)."""

TEMPLATE_ID = "X-SES-Template-ID"
TEMPLATE_DATA = "X-SES-Template-Data"
UNSUBSCRIBE = "X-SES-Unsubscribe"
TRIGGER_TYPE = "X-SES-Trigger-Type"
PREFIX = "x-ses-"
ALL = (TEMPLATE_ID, TEMPLATE_DATA, UNSUBSCRIBE, TRIGGER_TYPE)
