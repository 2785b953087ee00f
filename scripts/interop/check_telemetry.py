"""Decode heartbeat and log records the way OpenMSIStream's own message classes lay them out.

Usage: python check_telemetry.py RECORDS.json
RECORDS.json is a list of {"key": str, "value": str} read from a heartbeat or log topic.
For each record this builds the matching OpenMSIStream Producible (HeartbeatProducible
subclasses, LogProducible) with the same program id and counters, and prints one JSON line:
its key, whether the keys match, whether the value's fields (names and order) match, whether
the timestamp parses as OpenMSIStream writes it, and whether the value text is exactly what
Python's json.dumps writes for the decoded value.
"""

import datetime
import json
import sys

from openmsistream.utilities.heartbeat_producibles import (
    HeartbeatProducible,
    MessageProcessorHeartbeatProducible,
    UploadDirectoryHeartbeatProducible,
)
from openmsistream.utilities.log_producibles import LogProducible

UPLOADER = ["n_messages_produced", "n_bytes_produced"]
CONSUMER = ["n_messages_read", "n_messages_processed", "n_bytes_read", "n_bytes_processed"]


def expected_producible(program_id, value):
    "The OpenMSIStream Producible a program with these counters sends"
    names = [k for k in value if k != "timestamp"]
    if names == UPLOADER:
        return UploadDirectoryHeartbeatProducible(program_id, *[value[k] for k in UPLOADER])
    if names == CONSUMER:
        return MessageProcessorHeartbeatProducible(program_id, *[value[k] for k in CONSUMER])
    return HeartbeatProducible(program_id)


def check(record):
    key, text = record["key"], record["value"]
    value = json.loads(text)
    out = {"key": key, "exact_json_text": json.dumps(value) == text}
    if key.endswith("_heartbeat"):
        program_id = key[: -len("_heartbeat")]
        theirs = expected_producible(program_id, value)
        their_value = json.loads(theirs.msg_value)
        stamp = datetime.datetime.fromisoformat(value["timestamp"])
        out.update(
            kind="heartbeat",
            program_id=program_id,
            key_matches=theirs.msg_key == key,
            fields_match=list(their_value) == list(value),
            counters_match={k: v for k, v in their_value.items() if k != "timestamp"}
            == {k: v for k, v in value.items() if k != "timestamp"},
            timestamp_utc=stamp.utcoffset() == datetime.timedelta(0),
            producible=type(theirs).__name__,
        )
    elif key.endswith("_log"):
        program_id = key[: -len("_log")]
        theirs = LogProducible(program_id)
        their_value = json.loads(theirs.msg_value)
        out.update(
            kind="log",
            program_id=program_id,
            key_matches=theirs.msg_key == key,
            fields_match=list(their_value) == list(value),
            timestamp_float=isinstance(value["timestamp"], float),
            messages_are_strings=isinstance(value["messages"], list)
            and all(isinstance(m, str) for m in value["messages"]),
            messages=value["messages"],
        )
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        records = json.load(f)
    for record in records:
        print(json.dumps(check(record)))


if __name__ == "__main__":
    main()
