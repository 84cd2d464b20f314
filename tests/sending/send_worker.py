"""A separate process that accepts mail through sending.acceptance.service, for concurrency tests.

Usage: python -m tests.sending.send_worker ACCOUNT_ID SENDER_ID COUNT RECIPIENT...
Prints "accepted refused" counts. DATABASE_URL must name the test database.
"""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sesconsole.settings")
    import django

    django.setup()
    from accounts.models import Account
    from domains.models import SenderAddress
    from sending.acceptance.service import SendRequest, accept
    from sending.models import DeliveryStatus
    from sesconsole.refusals import Refusal

    account_id, sender_id, count, *recipients = sys.argv[1:]
    account = Account.objects.get(pk=account_id)
    sender = SenderAddress.objects.get(pk=sender_id)
    accepted = refused = 0
    for i in range(int(count)):
        request = SendRequest(sender=sender, subject=f"n{i}", to=recipients, text="hello")
        try:
            message = accept(account, request)
        except Refusal:
            refused += len(recipients)
            continue
        statuses = list(message.deliveries.values_list("status", flat=True))
        accepted += statuses.count(DeliveryStatus.QUEUED)
        refused += len(statuses) - statuses.count(DeliveryStatus.QUEUED)
    print(accepted, refused)


if __name__ == "__main__":
    main()
