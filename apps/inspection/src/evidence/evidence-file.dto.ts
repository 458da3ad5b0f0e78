/** An evidence file attached to a lot (its bytes at GET /inspection/lots/{id}/evidence/{fileId}). */
export class EvidenceFileDto {
  fileId!: string;
  inspectionLotId!: string;
  /** Hex SHA-256 of the bytes (the same bytes on a lot are the same file). */
  sha256!: string;
  sizeBytes!: number;
  contentType!: string;
  fileName!: string;
  /** photo, report, measurement... */
  kind!: string;
  uploadedBy!: string;
  uploadedAt!: string;
}
