/**
 * A decision request as class-validator DTOs (Profile A). Profile B checks the same rules by
 * hand in src/baseline/decision-request.ts, with the same predicates (src/core/limiter/request-rules.ts).
 */
import { Type } from 'class-transformer';
import { IsObject, ValidateBy, ValidateNested } from 'class-validator';
import { IfPresent } from '../../common/index.js';
import {
  COST_RULE,
  isCost,
  isPolicyName,
  isSubjectValue,
  POLICY_RULE,
  SUBJECT_VALUE_RULE,
} from '../../core/limiter/request-rules.js';

const IsPolicyName = () =>
  ValidateBy({
    name: 'isPolicyName',
    validator: { validate: isPolicyName, defaultMessage: (a) => `${a?.property} ${POLICY_RULE}` },
  });

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
  @IsPolicyName() readonly policy!: string;

  @IsObject({ message: 'subject must be an object' })
  @ValidateNested()
  @Type(() => SubjectDto)
  readonly subject!: SubjectDto;

  @IfPresent() @IsCost() readonly cost?: number;
}
