import { IsString, Length } from 'class-validator';

/** The brand's own inspector for its orders' lots. */
export class NameBrandInspectorDto {
  /** The inspector's member id (refused when tied to the brand). */
  @IsString() @Length(1, 100) inspectorId!: string;
}

/** Who a brand named as its own inspector (null: none, the network assigns every lot). */
export class BrandInspectorDto {
  brandId!: string;
  inspectorId!: string | null;
}
