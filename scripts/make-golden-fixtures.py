#!/usr/bin/env python3
"""Write golden wire-format fixtures with OpenMSIStream's own classes.

Run with the project venv (scripts/python-env.sh creates it):

    .venv/bin/python scripts/make-golden-fixtures.py            # fixtures/golden/
    .venv/bin/python scripts/make-golden-fixtures.py --check-reference DIR
        # only re-serialize the decoded fields of DIR/*.bin and compare bytes (writes nothing)

Everything under fixtures/golden/ is rewritten from scratch and is byte-for-byte reproducible:

  files/               the source files (upload root; their mtimes are set with os.utime before
                       chunking; git does not keep mtimes, so use the manifest's `file_mtime`)
  v10/<id>_chunk_<i>.bin / .key
                       values from openmsistream 1.8.8's DataFileChunkSerializer and keys exactly
                       as its producer sends them (DataFileChunk.msg_key, UTF-8 by StringSerializer)
  v9/<id>_chunk_<i>.bin
                       the same chunks serialized by openmsistream 1.8.6 (9 fields), if
                       .venv-legacy exists (scripts/python-env.sh legacy)
  extra/               values OpenMSIStream never produces by itself but that its serializer
                       yields for hand-made chunks (an empty file's single empty chunk)
  registry/            CSV registry files written by OpenMSIStream's own registry classes with
                       a frozen clock (producer side and stream-processor side)
  manifest.json        one entry per chunk plus notes

Chunks are built the way UploadDataFile does it: UploadDataFile.add_chunks_to_upload() (which
calls _build_list_of_file_chunks), then DataFileChunkSerializer (which reads each chunk's data
from the file via populate_with_file_data).
"""

import argparse
import datetime as _real_datetime
import hashlib
import json
import logging
import os
import pathlib
import random
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "fixtures" / "golden"
CHUNK_SIZE = 4096
DEFAULT_MTIME_NS = 1_700_000_000 * 10**9  # 1700000000.0
TOPIC = "golden_topic"
GROUP = "golden_group"


def _ensure_openmsistream():
    """Re-exec with the project venv if this interpreter cannot import openmsistream."""
    try:
        import openmsistream  # noqa: F401
    except ImportError:
        venv_py = ROOT / ".venv" / "bin" / "python"
        if venv_py.exists() and pathlib.Path(sys.executable) != venv_py:
            os.execv(str(venv_py), [str(venv_py), *sys.argv])
        sys.exit("openmsistream is not importable: run scripts/python-env.sh first")


def det_bytes(seed: str, n: int) -> bytes:
    """Deterministic pseudo-random bytes (SHA-512 in counter mode)."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha512(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


def det_text(seed: str, n_lines: int) -> bytes:
    lines = ["id,value,label"]
    for i in range(n_lines):
        h = hashlib.sha512(f"{seed}:{i}".encode()).hexdigest()
        lines.append(f"{i},{int(h[:8], 16) / 1000:.3f},état_{h[8:14]}_ß")
    return ("\n".join(lines) + "\n").encode("utf-8")


# id, relative path (POSIX), content, mtime in ns (None -> not captured), filename_append
FILE_SPECS = [
    ("top_level", "top_level.dat", det_bytes("top_level", 2 * CHUNK_SIZE + 1000),
     DEFAULT_MTIME_NS, ""),
    ("unicode_name", "données_ß_测试.csv", det_text("unicode", 20), DEFAULT_MTIME_NS, ""),
    ("nested", "a/b/c/nested.bin", det_bytes("nested", CHUNK_SIZE + 904), DEFAULT_MTIME_NS, ""),
    ("unicode_subdir", "sous-dossier é/数据/mesure 1.txt", det_text("unicode_subdir", 5),
     DEFAULT_MTIME_NS, ""),
    ("empty", "empty/empty.txt", b"", DEFAULT_MTIME_NS, ""),
    ("exact_1x", "sizes/exact_1x.bin", det_bytes("exact_1x", CHUNK_SIZE), DEFAULT_MTIME_NS, ""),
    ("exact_2x", "sizes/exact_2x.bin", det_bytes("exact_2x", 2 * CHUNK_SIZE),
     DEFAULT_MTIME_NS, ""),
    ("one_over_2x", "sizes/one_over_2x.bin", det_bytes("one_over_2x", 2 * CHUNK_SIZE + 1),
     DEFAULT_MTIME_NS, ""),
    ("one_byte", "sizes/one_byte.bin", b"\x00", DEFAULT_MTIME_NS, ""),
    ("multi_chunk", "multi/multi_chunk.dat", det_bytes("multi_chunk", 6 * CHUNK_SIZE + 123),
     DEFAULT_MTIME_NS, ""),
    ("append", "append/archive.tar.gz", det_bytes("append", 3000), DEFAULT_MTIME_NS, "_v2"),
    ("fractional_mtime", "mtime/fractional.txt", det_text("fractional", 3),
     1_700_000_000 * 10**9 + 250_000_000, ""),
    ("no_mtime", "mtime/no_mtime.txt", det_text("no_mtime", 3), DEFAULT_MTIME_NS, None),
]
# chunked with capture_mtime=False (field 9 = 0.0 on the wire)
NO_MTIME_IDS = {"no_mtime"}


def sha512_hex(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def write_source_files(files_root: pathlib.Path):
    if files_root.exists():
        shutil.rmtree(files_root)
    for fid, rel, content, mtime_ns, _ in FILE_SPECS:
        path = files_root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.utime(path, ns=(mtime_ns, mtime_ns))
        assert path.stat().st_mtime_ns == mtime_ns, f"filesystem did not keep mtime of {fid}"


def quiet_logger(name="golden"):
    from openmsitoolbox.logging import OpenMSILogger

    return OpenMSILogger(name, logging.ERROR, None, logging.ERROR, conf_global_logger=False)


def build_chunks(files_root: pathlib.Path, capture_mtime_supported=True):
    """Return {fid: [DataFileChunk, ...]} built by UploadDataFile exactly like its upload path."""
    from openmsistream import UploadDataFile

    logger = quiet_logger()
    out = {}
    for fid, rel, _content, _mtime, append in FILE_SPECS:
        udf = UploadDataFile(
            files_root / rel,
            rootdir=files_root,
            filename_append=append if append else None,
            logger=logger,
        )
        if capture_mtime_supported:
            udf.add_chunks_to_upload(chunk_size=CHUNK_SIZE, capture_mtime=fid not in NO_MTIME_IDS)
        else:
            udf.add_chunks_to_upload(chunk_size=CHUNK_SIZE)
        out[fid] = list(udf.chunks_to_upload)
    return out


def chunk_file_stem(fid, chunk_i):
    return f"{fid}_chunk_{chunk_i}"


# ---------------------------------------------------------------------------- legacy worker


def legacy_worker(files_root: pathlib.Path, outdir: pathlib.Path, probe_v10: pathlib.Path):
    """Runs under .venv-legacy (openmsistream 1.8.6): write 9-field values, report facts."""
    from importlib.metadata import version
    from openmsistream.kafka_wrapper.serialization import (
        DataFileChunkSerializer,
        DataFileChunkDeserializer,
    )

    outdir.mkdir(parents=True, exist_ok=True)
    ser = DataFileChunkSerializer()
    written = {}
    for fid, chunks in build_chunks(files_root, capture_mtime_supported=False).items():
        for dfc in chunks:
            name = f"{chunk_file_stem(fid, dfc.chunk_i)}.bin"
            (outdir / name).write_bytes(ser(dfc))
            written.setdefault(fid, []).append(name)
    facts = {"version": version("openmsistream"), "written": written}
    try:
        DataFileChunkDeserializer()(probe_v10.read_bytes())
        facts["accepts_10_fields"] = True
    except Exception as exc:  # noqa: BLE001 - we record what it says
        facts["accepts_10_fields"] = False
        facts["rejects_10_fields_with"] = str(exc)
    print(json.dumps(facts))


# ---------------------------------------------------------------------------- registries


class _FrozenClock:
    """Stands in for the `datetime` module inside OpenMSIStream's registry modules."""

    def __init__(self, start):
        self.t = start
        clock = self

        class _DT(_real_datetime.datetime):
            @classmethod
            def now(cls, tz=None):  # noqa: D401
                clock.t += _real_datetime.timedelta(seconds=1)
                v = clock.t
                return cls(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)

        self.datetime = _DT
        self.timedelta = _real_datetime.timedelta
        self.timezone = _real_datetime.timezone


def write_registries(regdir: pathlib.Path, chunks_by_fid):
    """Drive OpenMSIStream's registry classes with a frozen clock to show the exact CSV format."""
    import gc
    import threading
    from openmsistream.data_file_io.actor.file_registry import (
        producer_file_registry as pfr,
        stream_handler_registries as shr,
    )
    from openmsistream.data_file_io.entity.data_file_chunk import DataFileChunk

    if regdir.exists():
        shutil.rmtree(regdir)
    producer_dir = regdir / "producer" / "LOGS"
    consumer_dir = regdir / "processor" / "LOGS"
    producer_dir.mkdir(parents=True)
    consumer_dir.mkdir(parents=True)
    saved = (pfr.datetime, shr.datetime)
    pfr.datetime = shr.datetime = _FrozenClock(_real_datetime.datetime(2023, 11, 14, 22, 13, 20))
    saved_ident = threading.get_ident
    try:
        logger = quiet_logger("golden_registry")
        # ---- producer side (DataFileUploadDirectory's LOGS/)
        reg = pfr.ProducerFileRegistry(producer_dir, TOPIC, logger=logger)
        three = chunks_by_fid["top_level"]  # 3 chunks
        multi = chunks_by_fid["multi_chunk"]  # 7 chunks
        one = chunks_by_fid["exact_1x"]
        uni = chunks_by_fid["unicode_name"]
        prodid = "7f00deadbeef"
        for dfc in three:  # all delivered -> completed
            reg.register_chunk(dfc.filename, dfc.relative_filepath, dfc.n_total_chunks,
                               dfc.chunk_i, prodid)
        for dfc in one + uni:
            reg.register_chunk(dfc.filename, dfc.relative_filepath, dfc.n_total_chunks,
                               dfc.chunk_i, prodid)
        for dfc in (multi[0], multi[3], multi[6]):  # partially delivered -> in progress
            reg.register_chunk(dfc.filename, dfc.relative_filepath, dfc.n_total_chunks,
                               dfc.chunk_i, prodid)
        reg.consolidate_completed_files()  # uploaded_to_<topic>_p<prodid>.csv -> uploaded_to_<topic>.csv
        del reg
        gc.collect()

        # ---- consumer side (DataFileStreamProcessor's <output_dir>/LOGS/)
        threading.get_ident = lambda: 1234  # per-thread succeeded file name is ..._t<ident>.csv
        sreg = shr.StreamProcessorRegistry(consumer_dir, TOPIC, GROUP, logger=logger)

        def consumed(dfc):
            # what DataFileChunkDeserializer + rootdir would give the registry
            return DataFileChunk(
                pathlib.Path(dfc.subdir_str) / dfc.filename if dfc.subdir_str else
                pathlib.Path(dfc.filename),
                dfc.filename, dfc.file_hash, dfc.chunk_hash, None, dfc.chunk_offset_write,
                dfc.chunk_size, dfc.chunk_i, dfc.n_total_chunks,
                filename_append=dfc.filename_append, file_mtime=dfc.file_mtime,
            )

        for dfc in three:
            sreg.register_file_in_progress(consumed(dfc))
        sreg.register_file_successfully_processed(consumed(three[-1]))
        sreg.register_file_successfully_processed(consumed(one[0]))  # never seen as in progress
        sreg.register_file_in_progress(consumed(multi[0]))  # stays in_progress
        nested = chunks_by_fid["nested"]
        sreg.register_file_in_progress(consumed(nested[0]))
        sreg.register_file_processing_failed(consumed(nested[1]))  # -> failed
        uni_sub = chunks_by_fid["unicode_subdir"]
        sreg.register_file_in_progress(consumed(uni_sub[0]))
        sreg.register_file_mismatched_hash(consumed(uni_sub[0]))  # -> mismatched_hash
        # a name that needs csv quoting (';' and a quote character)
        odd = DataFileChunk(pathlib.Path("odd/semi;colon's.txt"), "semi;colon's.txt",
                            b"\0" * 64, b"\0" * 64, None, 0, 0, 1, 1)
        sreg.register_file_in_progress(odd)
        sreg._in_progress_table.dump_to_file()
        sreg.consolidate_succeeded_files()
        del sreg
        gc.collect()
    finally:
        pfr.datetime, shr.datetime = saved
        threading.get_ident = saved_ident
    return sorted(str(p.relative_to(regdir)) for p in regdir.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------- main


def check_reference(refdir: pathlib.Path):
    """Decode each reference value with msgpack and re-serialize with OpenMSIStream."""
    import msgpack
    from openmsistream.data_file_io.entity.data_file_chunk import DataFileChunk
    from openmsistream.kafka_wrapper.serialization import (
        DataFileChunkSerializer,
        DataFileChunkDeserializer,
    )

    ser, des = DataFileChunkSerializer(), DataFileChunkDeserializer()
    ok = True
    for path in sorted(refdir.glob("*.bin")):
        raw = path.read_bytes()
        f = msgpack.unpackb(raw, raw=False)
        sub = pathlib.PurePosixPath(f[6])
        dfc = DataFileChunk(pathlib.Path(*sub.parts, f[0]), f[0], f[1], f[2], None, f[3],
                            len(f[8]), f[4], f[5], filename_append=f[7], data=f[8],
                            file_mtime=(f[9] if len(f) > 9 and f[9] > 0 else None))
        again = ser(dfc)
        back = des(raw)  # also runs OpenMSIStream's chunk-hash check
        same = again == raw
        ok &= same
        print(f"{path.name}: {len(raw)} bytes, {len(f)} fields, chunk {f[4]}/{f[5]}, "
              f"offset {f[3]}, data {len(f[8])}, subdir {f[6]!r}, mtime "
              f"{f[9] if len(f) > 9 else None!r}, file_hash {f[1].hex()[:16]}..., "
              f"deserializes={back.chunk_i == f[4]}, reserialized identical={same}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check-reference", type=pathlib.Path)
    ap.add_argument("--legacy-worker", nargs=3, metavar=("FILES_ROOT", "OUTDIR", "PROBE_V10"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.legacy_worker:
        legacy_worker(*(pathlib.Path(p) for p in args.legacy_worker))
        return
    _ensure_openmsistream()
    if args.check_reference:
        sys.exit(0 if check_reference(args.check_reference) else 1)

    from importlib.metadata import version
    import msgpack
    from openmsistream.data_file_io.entity.data_file_chunk import DataFileChunk
    from openmsistream.data_file_io.entity.download_data_file import DownloadDataFileToMemory
    from openmsistream.data_file_io.config import DATA_FILE_HANDLING_CONST as CODES
    from openmsistream.kafka_wrapper.serialization import (
        DataFileChunkSerializer,
        DataFileChunkDeserializer,
    )
    from confluent_kafka.serialization import StringSerializer

    omsi_version = version("openmsistream")
    if omsi_version != "1.8.8":
        sys.exit(f"expected openmsistream 1.8.8, found {omsi_version}")
    print(f"[golden] openmsistream {omsi_version}, msgpack {version('msgpack')}, "
          f"chunk size {CHUNK_SIZE}")

    files_root = GOLDEN / "files"
    for sub in ("v10", "v9", "extra"):
        if (GOLDEN / sub).exists():
            shutil.rmtree(GOLDEN / sub)
        (GOLDEN / sub).mkdir(parents=True)
    write_source_files(files_root)
    print(f"[golden] wrote {len(FILE_SPECS)} source files under {files_root.relative_to(ROOT)}")

    ser, des = DataFileChunkSerializer(), DataFileChunkDeserializer()
    key_ser = StringSerializer()  # what the shipped configs name as key.serializer
    chunks_by_fid = build_chunks(files_root)
    manifest_chunks, manifest_files = [], []
    for fid, rel, content, mtime_ns, append in FILE_SPECS:
        chunks = chunks_by_fid[fid]
        file_hash = sha512_hex(content)
        manifest_files.append({
            "id": fid,
            "rel_filepath": rel,
            "size": len(content),
            "file_sha512": file_hash,
            "file_mtime": (None if fid in NO_MTIME_IDS else mtime_ns / 1e9),
            "filename_append": append or "",
            "n_chunks_openmsistream_sends": len(chunks),
        })
        for dfc in chunks:
            value = ser(dfc)
            key = dfc.msg_key
            stem = chunk_file_stem(fid, dfc.chunk_i)
            (GOLDEN / "v10" / f"{stem}.bin").write_bytes(value)
            (GOLDEN / "v10" / f"{stem}.key").write_bytes(key_ser(key))
            # sanity: OpenMSIStream's deserializer round-trips it and the fields are as recorded
            back = des(value)
            assert back == dfc, fid
            assert dfc.file_hash.hex() == file_hash
            assert dfc.data == content[dfc.chunk_offset_write:dfc.chunk_offset_write + dfc.chunk_size]
            decoded = msgpack.unpackb(value, raw=True)
            assert len(decoded) == 10 and isinstance(decoded[9], float)
            manifest_chunks.append({
                "file_id": fid,
                "rel_filepath": rel,
                "subdir_str": dfc.subdir_str,
                "filename": dfc.filename,
                "filename_append": dfc.filename_append,
                "chunk_i": dfc.chunk_i,
                "n_total_chunks": dfc.n_total_chunks,
                "chunk_offset_write": dfc.chunk_offset_write,
                "chunk_size": dfc.chunk_size,
                "file_sha512": dfc.file_hash.hex(),
                "chunk_sha512": dfc.chunk_hash.hex(),
                "file_mtime": dfc.file_mtime,
                "file_mtime_on_wire": dfc.file_mtime if dfc.file_mtime is not None else 0.0,
                "value_file": f"v10/{stem}.bin",
                "value_size": len(value),
                "value_sha512": sha512_hex(value),
                "key": key,
                "key_file": f"v10/{stem}.key",
                "legacy_value_file": None,
            })

    # reassemble every file with OpenMSIStream's own consumer-side class, chunks shuffled
    rng = random.Random(1234)
    logger = quiet_logger("golden_assemble")
    for fid, _rel, content, _m, _a in FILE_SPECS:
        entries = [c for c in manifest_chunks if c["file_id"] == fid]
        if not entries:
            continue
        rng.shuffle(entries)
        dl = None
        codes = []
        for entry in entries:
            dfc = des((GOLDEN / entry["value_file"]).read_bytes())
            if dl is None:
                dl = DownloadDataFileToMemory(dfc.filepath, logger=logger)
            codes.append(dl.add_chunk(dfc))
        assert codes[-1] == CODES.FILE_SUCCESSFULLY_RECONSTRUCTED_CODE, (fid, codes)
        assert dl.bytestring == content

    # the empty file: OpenMSIStream makes 0 chunks and sends nothing. Build the chunk the
    # toolkit sends (one empty chunk, n_total_chunks 1) by hand and serialize it with
    # OpenMSIStream; then check its own consumer-side class accepts it.
    empty_hash = hashlib.sha512(b"").digest()
    empty_rel = next(rel for fid, rel, *_ in FILE_SPECS if fid == "empty")
    empty_path = pathlib.PurePosixPath(empty_rel)
    empty_dfc = DataFileChunk(pathlib.Path(*empty_path.parts), empty_path.name, empty_hash,
                              empty_hash, 0, 0, 0, 1, 1, data=b"",
                              file_mtime=DEFAULT_MTIME_NS / 1e9)
    empty_value = ser(empty_dfc)
    (GOLDEN / "extra" / "empty_manual_chunk_1.bin").write_bytes(empty_value)
    (GOLDEN / "extra" / "empty_manual_chunk_1.key").write_bytes(key_ser(empty_dfc.msg_key))
    back = des(empty_value)
    dl = DownloadDataFileToMemory(back.filepath, logger=logger)
    empty_code = dl.add_chunk(back)
    assert empty_code == CODES.FILE_SUCCESSFULLY_RECONSTRUCTED_CODE and dl.bytestring == b""
    extra = [{
        "description": "empty file as one chunk with empty data, n_total_chunks 1, both hashes "
                       "SHA-512(''); serialized by openmsistream 1.8.8's DataFileChunkSerializer "
                       "(OpenMSIStream itself never produces it) and accepted by its "
                       "DownloadDataFileToMemory (FILE_SUCCESSFULLY_RECONSTRUCTED)",
        "rel_filepath": empty_rel,
        "subdir_str": empty_dfc.subdir_str,
        "filename": empty_dfc.filename,
        "filename_append": "",
        "chunk_i": 1,
        "n_total_chunks": 1,
        "chunk_offset_write": 0,
        "chunk_size": 0,
        "file_sha512": empty_hash.hex(),
        "chunk_sha512": empty_hash.hex(),
        "file_mtime": DEFAULT_MTIME_NS / 1e9,
        "value_file": "extra/empty_manual_chunk_1.bin",
        "value_size": len(empty_value),
        "value_sha512": sha512_hex(empty_value),
        "value_hex": empty_value.hex(),
        "key": empty_dfc.msg_key,
        "key_file": "extra/empty_manual_chunk_1.key",
    }]

    # legacy (openmsistream 1.8.6, 9 fields)
    legacy = {"available": False}
    legacy_py = ROOT / ".venv-legacy" / "bin" / "python"
    if legacy_py.exists():
        probe = GOLDEN / manifest_chunks[0]["value_file"]
        res = subprocess.run(
            [str(legacy_py), str(pathlib.Path(__file__).resolve()), "--legacy-worker",
             str(files_root), str(GOLDEN / "v9"), str(probe)],
            check=True, capture_output=True, text=True, cwd=str(ROOT),
        )
        facts = json.loads(res.stdout.strip().splitlines()[-1])
        legacy = {
            "available": True,
            "openmsistream_version": facts["version"],
            "accepts_10_field_values": facts["accepts_10_fields"],
            "error_on_10_field_value": facts.get("rejects_10_fields_with"),
        }
        for entry in manifest_chunks:
            stem = chunk_file_stem(entry["file_id"], entry["chunk_i"])
            v9 = (GOLDEN / "v9" / f"{stem}.bin").read_bytes()
            v10 = (GOLDEN / entry["value_file"]).read_bytes()
            # 9-field value == 10-field value with fixarray 0x9a -> 0x99 and the float dropped
            assert v10[0] == 0x9A and v10[-9] == 0xCB and v9 == b"\x99" + v10[1:-9], stem
            back = des(v9)  # 1.8.8 accepts 9 fields; mtime unknown
            assert back.file_mtime is None
            entry["legacy_value_file"] = f"v9/{stem}.bin"
            entry["legacy_value_sha512"] = sha512_hex(v9)
        print(f"[golden] legacy {facts['version']}: wrote v9 values; 10-field values "
              f"{'accepted' if facts['accepts_10_fields'] else 'rejected'} by it")
    else:
        shutil.rmtree(GOLDEN / "v9")
        print("[golden] .venv-legacy missing: no v9 values (run scripts/python-env.sh legacy)")

    reg_files = write_registries(GOLDEN / "registry", chunks_by_fid)
    print(f"[golden] wrote {len(reg_files)} registry CSV files")

    manifest = {
        "generator": "scripts/make-golden-fixtures.py",
        "openmsistream_version": omsi_version,
        "chunk_size": CHUNK_SIZE,
        "files_root": "files",
        "notes": [
            "Values: msgpack.packb([filename, file_hash, chunk_hash, chunk_offset_write, chunk_i, "
            "n_total_chunks, subdir_str, filename_append, data, file_mtime], use_bin_type=True); "
            "file_mtime is a Python float (always float64 'cb'), 0.0 when not captured.",
            "Keys: DataFileChunk.msg_key = '_'.join(subdir_str.split('/')) + '_' + filename + "
            "'_chunk_' + chunk_i + '_of_' + n_total_chunks, UTF-8 via StringSerializer; a root "
            "file has a leading '_'.",
            "Empty files: UploadDataFile builds 0 chunks for an empty file, so OpenMSIStream sends "
            "no message at all for it (files[].n_chunks_openmsistream_sends == 0). See extra[] "
            "for the hand-made single empty chunk and what OpenMSIStream's serializer makes of it.",
            "Mtimes: set with os.utime before chunking; git does not preserve them, use "
            "files[].file_mtime / chunks[].file_mtime. 'no_mtime' was chunked with "
            "capture_mtime=False (field 9 = 0.0, decoded as None).",
            "filename_append is applied on reconstruction as stem + append + suffix "
            "(pathlib: archive.tar.gz + _v2 -> archive.tar_v2.gz).",
            "v9/ values come from openmsistream 1.8.6 (the last release before file_mtime; "
            "1.8.6.1 introduced it). 1.8.6's deserializer requires exactly 9 fields.",
            "Every file was reassembled from its shuffled values with openmsistream's "
            "DownloadDataFileToMemory and matched its SHA-512.",
            "registry/: CSVs written by OpenMSIStream's ProducerFileRegistry and "
            "StreamProcessorRegistry with a frozen clock (each now() call +1 s from "
            "2023-11-14 22:13:20, naive local time), producer id '7f00deadbeef', "
            f"topic '{TOPIC}', consumer group '{GROUP}', thread id 1234.",
        ],
        "legacy": legacy,
        "files": manifest_files,
        "chunks": manifest_chunks,
        "extra": extra,
        "registry_files": reg_files,
    }
    (GOLDEN / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n",
        encoding="utf-8",
    )
    total = sum(p.stat().st_size for p in GOLDEN.rglob("*") if p.is_file())
    print(f"[golden] {len(manifest_chunks)} chunks, manifest at "
          f"{(GOLDEN / 'manifest.json').relative_to(ROOT)}, {total} bytes total under "
          f"{GOLDEN.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
