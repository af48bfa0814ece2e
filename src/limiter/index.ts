/** Profile A's rate limiter, as the other feature folders and the app module use it. */
export { LimiterHttpModule } from './http/limiter-http.module.js';
export { LimiterModule } from './limiter.module.js';
export { LimiterService } from './limiter.service.js';
