import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, HttpException, HttpStatus, Inject, Param, Post, Res, StreamableFile } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { NotFound } from '#libs/domain';
import { CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { INSPECTION_CONFIG, type InspectionConfig } from '../config.js';
import { canSee } from '../inspection-lot/inspection-lots.controller.js';
import { InspectionLotsService } from '../inspection-lot/inspection-lots.service.js';
import { UploadEvidenceDto } from '../inspection-lot/record-result.dto.js';
import { EvidenceFileDto } from './evidence-file.dto.js';

/**
 * Evidence files of a lot (photos, reports): uploaded by its assigned inspector (for the result) or by its brand or
 * workshop (for a dispute); listed and downloaded by the brand, the workshop and the inspectors the lot was given
 * to — nobody else (404 as for a missing lot; the operator 403). Each file is SHA-256 hashed and size-limited.
 */
@Controller('inspection/lots/:id/evidence')
export class EvidenceController {
  constructor(
    @Inject(InspectionLotsService) private readonly lots: InspectionLotsService,
    @Inject(INSPECTION_CONFIG) private readonly config: InspectionConfig,
  ) {}

  /** Attaches a file (base64) to the lot: 413 `evidence_too_large` over MESHFAB_INSPECTION_EVIDENCE_MAX_BYTES. */
  @Post()
  @HttpCode(201)
  @Roles('inspector', 'brand', 'workshop')
  async upload(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UploadEvidenceDto): Promise<EvidenceFileDto> {
    await this.visibleLot(principal, id);
    const content = Buffer.from(body.contentBase64, 'base64');
    const limit = this.config.MESHFAB_INSPECTION_EVIDENCE_MAX_BYTES;
    if (content.length > limit) {
      throw new HttpException(
        { error: 'evidence_too_large', message: `the file is ${content.length} bytes; evidence files may be at most ${limit} bytes (MESHFAB_INSPECTION_EVIDENCE_MAX_BYTES)`, details: { limitBytes: limit, sizeBytes: content.length } },
        HttpStatus.PAYLOAD_TOO_LARGE,
      );
    }
    if (content.length === 0) throw new HttpException({ error: 'validation_failed', message: 'contentBase64: the file is empty', details: { field: 'contentBase64' } }, HttpStatus.BAD_REQUEST);
    return this.lots.attachEvidence(
      id,
      { role: principal.role as 'inspector' | 'brand' | 'workshop', by: principal.sub, content, contentType: body.contentType, fileName: body.fileName, kind: body.kind },
      `http:${principal.tokenId || randomUUID()}`,
    );
  }

  /** The lot's evidence files (without their bytes). */
  @Get()
  @Roles('inspector', 'brand', 'workshop')
  async list(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<EvidenceFileDto[]> {
    await this.visibleLot(principal, id);
    return this.lots.evidenceFiles(id);
  }

  /** The file's bytes, as an attachment (never rendered inline), with its SHA-256 in `X-Content-SHA256`. */
  @Get(':fileId')
  @Roles('inspector', 'brand', 'workshop')
  async download(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('fileId') fileId: string,
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<StreamableFile> {
    await this.visibleLot(principal, id);
    const found = await this.lots.evidenceFile(id, fileId);
    if (!found) throw new NotFound('evidence_file', fileId);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('X-Content-SHA256', found.file.sha256);
    response.setHeader('Cache-Control', 'private, no-store');
    return new StreamableFile(found.content, {
      type: found.file.contentType,
      length: found.file.sizeBytes,
      disposition: `attachment; filename="${found.file.fileName.replace(/[^\w. -]/g, '_')}"`,
    });
  }

  private async visibleLot(principal: Principal, id: string) {
    const row = await this.lots.findLot(id);
    if (!row || !canSee(principal, row)) throw new NotFound('inspection_lot', id);
    return row;
  }
}
