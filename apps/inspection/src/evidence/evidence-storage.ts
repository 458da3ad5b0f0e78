import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ident } from '#libs/eventsourcing';

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
 * attaches it commit together. PostgreSQL is the default; an S3-compatible adapter would implement the same port.
 */
export interface EvidenceStorage {
  put(upload: EvidenceUpload, manager: EntityManager): Promise<{ file: EvidenceFileMeta; created: boolean }>;
  get(inspectionLotId: string, fileId: string, manager: EntityManager): Promise<{ file: EvidenceFileMeta; content: Buffer } | undefined>;
  list(inspectionLotId: string, manager: EntityManager): Promise<EvidenceFileMeta[]>;
}

export const EVIDENCE_STORAGE = Symbol('EVIDENCE_STORAGE');

export const sha256Of = (content: Buffer): string => createHash('sha256').update(content).digest('hex');

interface Row {
  file_id: string;
  lot_id: string;
  sha256: string;
  size_bytes: number;
  content_type: string;
  file_name: string;
  kind: string;
  uploaded_by: string;
  uploaded_at: Date;
  content?: Buffer;
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
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${ident(schema)}.evidence_files`;
  }

  async put(upload: EvidenceUpload, manager: EntityManager): Promise<{ file: EvidenceFileMeta; created: boolean }> {
    const sha256 = sha256Of(upload.content);
    const inserted: Row[] = await manager.query(
      `INSERT INTO ${this.table} (file_id, lot_id, sha256, size_bytes, content_type, file_name, kind, uploaded_by, uploaded_at, content)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (lot_id, sha256) DO NOTHING
       RETURNING file_id, lot_id, sha256, size_bytes, content_type, file_name, kind, uploaded_by, uploaded_at`,
      [`ev_${randomUUID()}`, upload.inspectionLotId, sha256, upload.content.length, upload.contentType, upload.fileName, upload.kind, upload.uploadedBy, upload.uploadedAt, upload.content],
    );
    if (inserted[0]) return { file: meta(inserted[0]), created: true };
    const [existing]: Row[] = await manager.query(
      `SELECT file_id, lot_id, sha256, size_bytes, content_type, file_name, kind, uploaded_by, uploaded_at FROM ${this.table} WHERE lot_id = $1 AND sha256 = $2`,
      [upload.inspectionLotId, sha256],
    );
    if (!existing) throw new Error(`evidence ${sha256} of ${upload.inspectionLotId} neither inserted nor found`);
    return { file: meta(existing), created: false };
  }

  async get(inspectionLotId: string, fileId: string, manager: EntityManager): Promise<{ file: EvidenceFileMeta; content: Buffer } | undefined> {
    const [row]: Row[] = await manager.query(`SELECT * FROM ${this.table} WHERE lot_id = $1 AND file_id = $2`, [inspectionLotId, fileId]);
    if (!row?.content) return undefined;
    // The stored hash is checked on the way out: a file changed behind the service's back is not served.
    if (sha256Of(row.content) !== row.sha256) throw new Error(`evidence file ${fileId} does not match its SHA-256`);
    return { file: meta(row), content: row.content };
  }

  async list(inspectionLotId: string, manager: EntityManager): Promise<EvidenceFileMeta[]> {
    const rows: Row[] = await manager.query(
      `SELECT file_id, lot_id, sha256, size_bytes, content_type, file_name, kind, uploaded_by, uploaded_at FROM ${this.table} WHERE lot_id = $1 ORDER BY uploaded_at, file_id`,
      [inspectionLotId],
    );
    return rows.map(meta);
  }
}
