"""
An OpenMSIStream MetadataJSONReproducer subclass for the interoperability tests
(test/interop/reproducers.test.ts): for every file it rebuilds from the consumer topic it
produces a small metadata dict as JSON to the producer topic. Its TypeScript twin is
test/interop/fixtures/metadata-reproducer.ts; both must produce the same key and value bytes.

Written against the public API of openmsistream (1.8.8): subclass MetadataJSONReproducer,
implement `_get_metadata_dict_for_file(datafile)`, run `produce_processing_results_for_files_as_read()`
until `q`. Not `run_from_command_line`: in 1.8.8 it passes the producer topic both as the second
positional argument and as a keyword, and the constructor refuses that (TypeError, "multiple values
for argument 'consumer_topic_name'"), so the instance is built here from the same parsed arguments.

    .venv/bin/python scripts/interop/metadata_reproducer.py --config <file> \
        --consumer_topic_name T --producer_topic_name R --consumer_group_id G --output_dir DIR
"""

import hashlib

from openmsistream import MetadataJSONReproducer


class InteropMetadata(MetadataJSONReproducer):
    """The file's path, size, SHA-512, line count, a float and some non-ASCII text."""

    def _get_metadata_dict_for_file(self, datafile):
        data = datafile.bytestring
        return {
            "file": datafile.relative_filepath.as_posix(),
            "size": len(data),
            "sha512": hashlib.sha512(data).hexdigest(),
            "lines": data.count(b"\n"),
            "ratio": len(data) / 3,
            "note": "Ångström µ 😀 \"quoted\"\ttab",
            "nested": {"ok": True, "none": None, "list": [1, 2.5, "x"]},
        }


def main(args=None):
    parsed = InteropMetadata.get_argument_parser().parse_args(args=args)
    init_args, init_kwargs = InteropMetadata.get_init_args_kwargs(parsed)
    reproducer = InteropMetadata(init_args[0], **init_kwargs)
    n_read, _, n_files, n_results, _ = reproducer.produce_processing_results_for_files_as_read()
    reproducer.close()
    print(f"InteropMetadata: {n_read} messages read, {n_files} files, {n_results} results produced", flush=True)


if __name__ == "__main__":
    main()
