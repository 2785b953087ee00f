/**
 * Shared by tests that drive a DirectoryUploader without a registry on disk (not a test file
 * itself).
 */
import type { UploadLedger } from '../../lib/producer/upload-directory.js';

/** A ledger with nothing uploaded before: every chunk is sent; `uploaded` lists files in the order marked. */
export function memoryLedger(): { ledger: UploadLedger; uploaded: string[] } {
  const uploaded: string[] = [];
  const ledger: UploadLedger = {
    isUploaded: () => false,
    markStarted: (_rel, info) => Array.from({ length: info.nChunks }, (_, i) => i + 1),
    markChunkAcked: () => undefined,
    markUploaded: (rel) => void uploaded.push(rel),
    flush: async () => undefined,
  };
  return { ledger, uploaded };
}
