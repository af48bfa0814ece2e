/** What Profile A's feature folders share: the settings as providers, HTTP errors, validation helpers. */
export { refuseBodyEncoding } from './body-encoding.middleware.js';
export { firstNestedKey, keySkippedByClassTransformer, nestedDeeperThan } from './class-transformer-gaps.js';
export { IfPresent, IsContractText, IsTimestamp, IsTraceparent } from './contract-validators.js';
export { HttpErrorFilter } from './http-error.filter.js';
export { RequestErrorException } from './request-error.exception.js';
export { POLICIES, SETTINGS, SettingsModule } from './settings.module.js';
