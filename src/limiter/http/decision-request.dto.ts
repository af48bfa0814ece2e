/**
 * A decision request as class-validator DTOs (Profile A). Profile B checks the same rules by
 * hand in src/limiter/decision-request.ts, with the same predicates.
 */
import { Type } from 'class-transformer';
import { IsObject, IsString, MinLength, ValidateBy, ValidateNested } from 'class-validator';
import { IfPresent } from '../../common/index.js';
import { COST_RULE, isCost, isSubjectValue, SUBJECT_VALUE_RULE } from '../../core/limiter/request-rules.js';

const IsSubjectValue = () =>
  ValidateBy({
    name: 'isSubjectValue',
    validator: { validate: isSubjectValue, defaultMessage: (a) => `${a?.property} ${SUBJECT_VALUE_RULE}` },
  });

const IsCost = () =>
  ValidateBy({ name: 'isCost', validator: { validate: isCost, defaultMessage: (a) => `${a?.property} ${COST_RULE}` } });

export class SubjectDto {
  @IfPresent() @IsSubjectValue() readonly user?: string;
  @IfPresent() @IsSubjectValue() readonly ip?: string;
  @IfPresent() @IsSubjectValue() readonly route?: string;
  @IfPresent() @IsSubjectValue() readonly client?: string;
}

export class DecisionRequestDto {
  @IsString({ message: 'policy must be a non-empty string' })
  @MinLength(1, { message: 'policy must be a non-empty string' })
  readonly policy!: string;

  @IsObject({ message: 'subject must be an object' })
  @ValidateNested()
  @Type(() => SubjectDto)
  readonly subject!: SubjectDto;

  @IfPresent() @IsCost() readonly cost?: number;
}
