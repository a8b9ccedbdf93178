-- W3C traceparent of the span that accepted a request, so its execution (in any worker process) continues the
-- same trace: API -> queue -> DLMS session.
ALTER TABLE request ADD COLUMN trace_parent text;
