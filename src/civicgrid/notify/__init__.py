"""Notifications through an outbox (通知): every message to a resident or a member of
staff is a row (``models.Notification``) with its state and retries.

Nothing in a transition writes here: the event log is the source. A worker step
(``actions.derive_notifications``) reads the events after a watermark and, in one
transaction, writes each event's messages (``rules.messages_for``, a pure function)
and moves the watermark; a second step (``tasks.deliver``) claims the due rows and
sends them through the adapters (``adapters``: the log, e-mail, a signed webhook to a
district's SMS or WeChat gateway), recording each attempt (``actions``). A gateway
that fails delays a message, never a transition.
"""
