import type { EntityManager } from 'typeorm';
import { EvidenceContentUnavailable, PostgresEvidenceStorage, sha256Of, type EvidenceFileMeta, type EvidenceUpload, type Row } from './evidence-storage.js';
import type { S3ObjectStore } from './s3-object-store.js';

/** The object key of bytes with this SHA-256 (hex): the same bytes, from any lot, are one object. */
export const evidenceObjectKey = (sha256: string): string => `sha256/${sha256}`;

/**
 * Evidence bytes in an S3-compatible store, keyed by their SHA-256; what is known of each file (lot, hash, size,
 * content type, who uploaded it) stays in PostgreSQL's `evidence_files` (without `content`), so who may see a file
 * is decided exactly as with PostgreSQL storage. The object is written before the row, inside the caller's
 * transaction: when the store refuses, nothing is recorded and no event is appended. An object whose row then fails
 * to commit is left behind harmlessly — it is named by its bytes and the next upload of them reuses it. Files
 * stored in PostgreSQL before S3 was configured are still read from their rows.
 */
export class S3EvidenceStorage extends PostgresEvidenceStorage {
  constructor(
    schema: string,
    private readonly objects: S3ObjectStore,
  ) {
    super(schema);
  }

  override async put(upload: EvidenceUpload, manager: EntityManager): Promise<{ file: EvidenceFileMeta; created: boolean }> {
    const sha256 = sha256Of(upload.content);
    const known = await this.existing(upload.inspectionLotId, sha256, manager);
    if (known) return { file: known, created: false };
    const key = evidenceObjectKey(sha256);
    if (!(await this.objects.has(key))) await this.objects.put(key, upload.content, sha256, upload.contentType);
    return this.record(upload, sha256, 's3', manager);
  }

  protected override async contentOf(row: Row): Promise<Buffer> {
    if (row.stored_in !== 's3') return super.contentOf(row);
    const content = await this.objects.get(evidenceObjectKey(row.sha256));
    if (!content) throw new EvidenceContentUnavailable('evidence_content_missing', { fileId: row.file_id, sha256: row.sha256 }, 'the S3 store');
    return content;
  }
}
