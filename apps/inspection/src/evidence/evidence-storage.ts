import { createHash, randomUUID } from 'node:crypto';
import { HttpException, HttpStatus } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ident } from '#libs/eventsourcing';
import { DependencyUnavailableError } from '#libs/platform';

/** What is known of a stored evidence file besides its bytes. */
export interface EvidenceFileMeta {
  fileId: string;
  inspectionLotId: string;
  sha256: string;
  sizeBytes: number;
  contentType: string;
  fileName: string;
  kind: string;
  uploadedBy: string;
  uploadedAt: string;
}

export interface EvidenceUpload {
  inspectionLotId: string;
  content: Buffer;
  contentType: string;
  fileName: string;
  kind: string;
  uploadedBy: string;
  uploadedAt: string;
}

/**
 * Where evidence files (photos, reports) live: content-addressed by SHA-256 per lot (the same bytes uploaded
 * to the same lot again are the same file). `put` joins the caller's transaction, so a file and the event that
 * attaches it commit together. PostgreSQL is the default; S3EvidenceStorage keeps the bytes in an S3-compatible store.
 */
export interface EvidenceStorage {
  put(upload: EvidenceUpload, manager: EntityManager): Promise<{ file: EvidenceFileMeta; created: boolean }>;
  get(inspectionLotId: string, fileId: string, manager: EntityManager): Promise<{ file: EvidenceFileMeta; content: Buffer } | undefined>;
  list(inspectionLotId: string, manager: EntityManager): Promise<EvidenceFileMeta[]>;
}

export const EVIDENCE_STORAGE = Symbol('EVIDENCE_STORAGE');

export const sha256Of = (content: Buffer): string => createHash('sha256').update(content).digest('hex');

export interface Row {
  file_id: string;
  lot_id: string;
  sha256: string;
  size_bytes: number;
  content_type: string;
  file_name: string;
  kind: string;
  uploaded_by: string;
  uploaded_at: Date;
  stored_in?: StoredIn;
  content?: Buffer | null;
}

/** Where a file's bytes are: in its `evidence_files` row, or in the S3-compatible store under its SHA-256. */
export type StoredIn = 'postgres' | 's3';

const META_COLUMNS = 'file_id, lot_id, sha256, size_bytes, content_type, file_name, kind, uploaded_by, uploaded_at';

/** The bytes of a recorded file are gone or changed: a clear 502 naming the file, never a 500 with a stack. */
export class EvidenceContentUnavailable extends HttpException {
  constructor(code: 'evidence_content_missing' | 'evidence_content_mismatch', file: { fileId: string; sha256: string }, where: string) {
    const what = code === 'evidence_content_missing' ? 'is missing from' : 'does not match its SHA-256 in';
    super(
      { error: code, message: `the content of evidence file ${file.fileId} ${what} ${where}; an operator must restore it`, details: { fileId: file.fileId, sha256: file.sha256 } },
      HttpStatus.BAD_GATEWAY,
    );
  }
}

const meta = (r: Row): EvidenceFileMeta => ({
  fileId: r.file_id,
  inspectionLotId: r.lot_id,
  sha256: r.sha256,
  sizeBytes: r.size_bytes,
  contentType: r.content_type,
  fileName: r.file_name,
  kind: r.kind,
  uploadedBy: r.uploaded_by,
  uploadedAt: new Date(r.uploaded_at).toISOString(),
});

/** Evidence files in the inspection service's own schema (`evidence_files`, bytea). */
export class PostgresEvidenceStorage implements EvidenceStorage {
  protected readonly table: string;

  constructor(schema: string) {
    this.table = `${ident(schema)}.evidence_files`;
  }

  put(upload: EvidenceUpload, manager: EntityManager): Promise<{ file: EvidenceFileMeta; created: boolean }> {
    return this.record(upload, sha256Of(upload.content), 'postgres', manager);
  }

  async get(inspectionLotId: string, fileId: string, manager: EntityManager): Promise<{ file: EvidenceFileMeta; content: Buffer } | undefined> {
    const [row]: Row[] = await manager.query(`SELECT * FROM ${this.table} WHERE lot_id = $1 AND file_id = $2`, [inspectionLotId, fileId]);
    if (!row) return undefined;
    const content = await this.contentOf(row);
    // The stored hash is checked on the way out: a file changed behind the service's back is not served.
    if (sha256Of(content) !== row.sha256) throw new EvidenceContentUnavailable('evidence_content_mismatch', meta(row), row.stored_in === 's3' ? 'the S3 store' : 'PostgreSQL');
    return { file: meta(row), content };
  }

  async list(inspectionLotId: string, manager: EntityManager): Promise<EvidenceFileMeta[]> {
    const rows: Row[] = await manager.query(`SELECT ${META_COLUMNS} FROM ${this.table} WHERE lot_id = $1 ORDER BY uploaded_at, file_id`, [inspectionLotId]);
    return rows.map(meta);
  }

  /** The metadata row of the lot's file with these bytes, if it was uploaded before. */
  protected async existing(inspectionLotId: string, sha256: string, manager: EntityManager): Promise<EvidenceFileMeta | undefined> {
    const [row]: Row[] = await manager.query(`SELECT ${META_COLUMNS} FROM ${this.table} WHERE lot_id = $1 AND sha256 = $2`, [inspectionLotId, sha256]);
    return row ? meta(row) : undefined;
  }

  /** Records the file (with its bytes when they live in PostgreSQL); the lot's same bytes again are its same file. */
  protected async record(upload: EvidenceUpload, sha256: string, storedIn: StoredIn, manager: EntityManager): Promise<{ file: EvidenceFileMeta; created: boolean }> {
    const inserted: Row[] = await manager.query(
      `INSERT INTO ${this.table} (file_id, lot_id, sha256, size_bytes, content_type, file_name, kind, uploaded_by, uploaded_at, stored_in, content)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (lot_id, sha256) DO NOTHING
       RETURNING ${META_COLUMNS}`,
      [
        `ev_${randomUUID()}`,
        upload.inspectionLotId,
        sha256,
        upload.content.length,
        upload.contentType,
        upload.fileName,
        upload.kind,
        upload.uploadedBy,
        upload.uploadedAt,
        storedIn,
        storedIn === 'postgres' ? upload.content : null,
      ],
    );
    if (inserted[0]) return { file: meta(inserted[0]), created: true };
    const existing = await this.existing(upload.inspectionLotId, sha256, manager);
    if (!existing) throw new Error(`evidence ${sha256} of ${upload.inspectionLotId} neither inserted nor found`);
    return { file: existing, created: false };
  }

  /** The bytes of a recorded file. Here only those kept in PostgreSQL; S3EvidenceStorage reads both. */
  protected contentOf(row: Row): Promise<Buffer> {
    if (row.content) return Promise.resolve(row.content);
    throw new DependencyUnavailableError('evidence storage (S3)', 'holds this file but is not configured (MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT)');
  }
}
