/** class-validator decorators for the contract's rules that the stock ones do not express exactly. */
import { ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';
import { isContractText, isTraceparent, isValidTs } from '../core/protocol/contract.js';

/**
 * Validates the property only when it is present. Unlike `@IsOptional()`, a JSON `null` is not
 * "absent": it is a wrong type and fails the other validators.
 */
export function IfPresent(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/**
 * A string of 1..max Unicode code points with no lone surrogate. (`@Length` counts differently:
 * it discounts variation selectors, so it would disagree with other implementations.)
 */
export function IsContractText(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isContractText',
      constraints: [max],
      validator: {
        validate: (value: unknown) => isContractText(value, max),
        defaultMessage: (args) => `${args?.property} must be a string of 1 to ${max} characters`,
      },
    },
    options,
  );
}

/** Any finite JSON number. */
export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTimestamp',
      validator: {
        validate: (value: unknown) => isValidTs(value),
        defaultMessage: (args) => `${args?.property} must be a finite number`,
      },
    },
    options,
  );
}

/** A W3C traceparent. */
export function IsTraceparent(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTraceparent',
      validator: {
        validate: (value: unknown) => isTraceparent(value),
        defaultMessage: () => 'traceparent must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)',
      },
    },
    options,
  );
}
