import { IsBoolean, IsDefined, IsInt, IsNumber, IsString, IsUrl, Matches, Max, Min, ValidateIf } from 'class-validator';

/** Whether any MESHFAB_INSPECTION_EVIDENCE_S3_* variable that turns the S3 store on is set: then all of them must be. */
const s3Wanted = (config: InspectionConfig): boolean =>
  [
    config.MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT,
    config.MESHFAB_INSPECTION_EVIDENCE_S3_BUCKET,
    config.MESHFAB_INSPECTION_EVIDENCE_S3_ACCESS_KEY_ID,
    config.MESHFAB_INSPECTION_EVIDENCE_S3_SECRET_ACCESS_KEY,
  ].some((value) => value !== undefined);

/** The inspection service's settings, read from `ServiceModuleOptions.env` with `loadConfig` at start-up. */
export class InspectionConfig {
  /** PostgreSQL schema the service owns. */
  @IsString()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/)
  MESHFAB_INSPECTION_SCHEMA: string = 'inspection';

  /**
   * Failed-lot policy: a failed lot goes back to the same workshop for rework while its rework round is
   * below this number (disposition 'rework'); after that it is 'replan' (elsewhere). 0 = never rework.
   */
  @IsInt()
  @Min(0)
  @Max(10)
  MESHFAB_INSPECTION_MAX_REWORK_ROUNDS: number = 1;

  /** AQL for critical defects when a step gives none: 0 = any critical defect rejects the lot. */
  @IsNumber()
  @Min(0)
  MESHFAB_INSPECTION_DEFAULT_CRITICAL_AQL: number = 0;

  /** AQL for minor defects when a step gives none. */
  @IsNumber()
  @Min(0)
  MESHFAB_INSPECTION_DEFAULT_MINOR_AQL: number = 4.0;

  /**
   * Standing approval of the responsible authority (the platform's quality manager) for normal →
   * reduced when the switching score reaches 30 (ISO 2859-1 9.3.3 c); false keeps normal inspection.
   */
  @IsBoolean()
  MESHFAB_INSPECTION_REDUCED_APPROVED: boolean = true;

  /** An assigned inspector has this long to record a result; then the lot is taken from it and reassigned. */
  @IsInt()
  @Min(1)
  MESHFAB_INSPECTION_ASSIGNMENT_TIMEOUT_SECONDS: number = 86_400;

  /**
   * How long after a result the brand or the workshop may dispute it (issue 17). 0 = no disputes: a result is
   * final as it is recorded (InspectionResultFinal with it). Default 72 hours.
   */
  @IsInt()
  @Min(0)
  MESHFAB_INSPECTION_DISPUTE_WINDOW_SECONDS: number = 259_200;

  /**
   * Largest evidence file (photo, report) accepted, in bytes, after base64 decoding; larger is 413
   * `evidence_too_large` naming this limit. Uploads travel as JSON, so MESHFAB_HTTP_MAX_BODY_BYTES must hold the
   * base64 text (4/3 of this) too. Default 512 KiB.
   */
  @IsInt()
  @Min(1)
  MESHFAB_INSPECTION_EVIDENCE_MAX_BYTES: number = 524_288;

  /**
   * Evidence bytes go to this S3-compatible store (AWS S3, MinIO, Ceph…, e.g. `https://s3.eu-central-1.amazonaws.com`)
   * instead of PostgreSQL, keyed `sha256/<hex>`; the metadata stays in PostgreSQL. Unset (default) = PostgreSQL.
   * Setting any of ENDPOINT, BUCKET, ACCESS_KEY_ID, SECRET_ACCESS_KEY requires all four.
   */
  @ValidateIf(s3Wanted)
  @IsDefined()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'must be an http(s) URL' })
  MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT?: string;

  /** The bucket (created beforehand; the service never creates one). */
  @ValidateIf(s3Wanted)
  @IsDefined()
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)' })
  MESHFAB_INSPECTION_EVIDENCE_S3_BUCKET?: string;

  /** The region requests are signed for (AWS Signature V4); S3-compatible servers mostly accept us-east-1. */
  @IsString()
  @Matches(/^[a-z0-9-]{1,32}$/)
  MESHFAB_INSPECTION_EVIDENCE_S3_REGION: string = 'us-east-1';

  @ValidateIf(s3Wanted)
  @IsDefined()
  @IsString()
  @Matches(/^\S+$/, { message: 'must not contain spaces' })
  MESHFAB_INSPECTION_EVIDENCE_S3_ACCESS_KEY_ID?: string;

  /** Never logged nor echoed in configuration errors. */
  @ValidateIf(s3Wanted)
  @IsDefined()
  @IsString()
  @Matches(/^\S+$/, { message: 'must not contain spaces' })
  MESHFAB_INSPECTION_EVIDENCE_S3_SECRET_ACCESS_KEY?: string;

  /** `ENDPOINT/BUCKET/key` (true: MinIO and most S3-compatible servers) or `BUCKET.ENDPOINT-host/key` (false: AWS). */
  @IsBoolean()
  MESHFAB_INSPECTION_EVIDENCE_S3_PATH_STYLE: boolean = true;

  /** How often the sweep reassigns timed-out lots and assigns lots that wait for an eligible inspector. */
  @IsInt()
  @Min(10)
  MESHFAB_INSPECTION_SWEEP_MS: number = 30_000;
}

export const INSPECTION_CONFIG = Symbol('INSPECTION_CONFIG');
export const INSPECTION_CLOCK = Symbol('INSPECTION_CLOCK');
export const SAMPLING_TABLES = Symbol('SAMPLING_TABLES');
