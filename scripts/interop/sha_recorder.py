"""
An OpenMSIStream DataFileStreamProcessor subclass for the interoperability tests
(test/interop/processors.test.ts): for every file it reconstructs from the topic it appends
one line `relative/path;sha512hex` to `<output_dir>/sha_records.txt`.

Written against the public API of openmsistream (1.8.8): subclass DataFileStreamProcessor,
implement `_process_downloaded_data_file(datafile, lock)` returning None on success (or an
Exception), and run it with `process_files_as_read()` until `q` + Enter arrives on stdin.

    .venv/bin/python scripts/interop/sha_recorder.py --config <file> --topic_name T \
        --consumer_group_id G --output_dir DIR [--mode memory|disk|both]
"""

import hashlib

from openmsistream import DataFileStreamProcessor


class ShaRecorder(DataFileStreamProcessor):
    """Records (relative path, SHA-512 of the reconstructed bytes) for every file."""

    RECORD_FILE_NAME = "sha_records.txt"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.record_path = self._output_dir / self.RECORD_FILE_NAME

    def _process_downloaded_data_file(self, datafile, lock):
        try:
            digest = hashlib.sha512(datafile.bytestring).hexdigest()
            line = f"{datafile.relative_filepath.as_posix()};{digest}\n"
            with lock:
                with open(self.record_path, "a", encoding="utf-8") as fp:
                    fp.write(line)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return exc
        return None

    @classmethod
    def run_from_command_line(cls, args=None):
        """Parse the usual stream-processor arguments, run until `q`, print a summary."""
        parser = cls.get_argument_parser()
        parsed = parser.parse_args(args=args)
        init_args, init_kwargs = cls.get_init_args_kwargs(parsed)
        processor = cls(*init_args, **init_kwargs)
        n_read, n_processed, n_files, _ = processor.process_files_as_read()
        processor.close()
        print(
            f"ShaRecorder: {n_read} messages read, {n_processed} processed, "
            f"{n_files} files recorded",
            flush=True,
        )


def main(args=None):
    ShaRecorder.run_from_command_line(args)


if __name__ == "__main__":
    main()
