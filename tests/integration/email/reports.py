"""Bounce and complaint reports as mail servers and providers send them."""

from __future__ import annotations


def dsn(address: str, message_id: int | None, *, status: str = "5.1.1", action: str = "failed",
        diagnostic: str = "smtp; 550 5.1.1 <{a}>: Recipient address rejected: User unknown") -> str:
    original = f"X-Leadflow-Message: {message_id}\n" if message_id else ""
    return f"""From: MAILER-DAEMON@mx.example.net
To: news@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net. Your message could not be delivered.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Wed,  4 Mar 2026 12:00:05 +0000 (UTC)

Final-Recipient: rfc822; {address}
Original-Recipient: rfc822;{address}
Action: {action}
Status: {status}
Remote-MTA: dns; mail.example.com
Diagnostic-Code: {diagnostic.format(a=address)}

--BOUNDARY
Content-Type: text/rfc822-headers

From: news@example.com
To: {address}
Subject: Hi
{original}
--BOUNDARY--
"""


def arf(address: str, message_id: int | None) -> str:
    original = f"X-Leadflow-Message: {message_id}\n" if message_id else ""
    return f"""From: feedback@mail.example.org
To: abuse@example.com
Subject: FW: Hi
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"

--ARF
Content-Type: text/plain

This is an email abuse report.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Rcpt-To: {address}

--ARF
Content-Type: message/rfc822

From: news@example.com
To: {address}
Subject: Hi
{original}
Hello
--ARF--
"""
