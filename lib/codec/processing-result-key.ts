/**
 * The key of a reproducer's result message, as OpenMSIStream's ReproducerMessage forms it: the
 * file's chunk-key prefix plus `_processing_result`, i.e.
 * `<subdir with / as _>_<filename>_chunk_processing_result`. A top-level file (subdir "") gets a
 * key that starts with `_`, as its chunk keys do. `filename` is the rebuilt file's name
 * (`filename_append` applied), which is what OpenMSIStream's downloaded file calls its name.
 */
export function processingResultKey(file: { subdirStr: string; filename: string }): string {
  return `${file.subdirStr.replaceAll('/', '_')}_${file.filename}_chunk_processing_result`;
}
