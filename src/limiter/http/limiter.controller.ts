import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { batchPath } from '../../core/limiter/request-rules.js';
import {
  type DecisionRequest,
  type DecisionResponse,
  Limiter,
  RequestError,
  rateLimitHeaders,
} from '../../core/limiter/limiter.js';
import type { Policy } from '../../core/limiter/policy.js';
import { DecisionBodyPipe } from './decision-body.pipe.js';
import { RequestErrorException } from '../../common/index.js';

type Body = DecisionRequest | DecisionRequest[];

/**
 * The decision API (docs/LIMITER.md): `POST /v1/check` peeks, `POST /v1/check_and_consume`
 * spends. A decision is always a 200, allowed or not; only a bad request is an HTTP error. The
 * response object is the platform's (Express or Fastify): its headers are set through Nest's
 * HTTP adapter.
 */
@Controller('v1')
export class LimiterController {
  constructor(
    private readonly limiter: Limiter,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Post('check')
  @HttpCode(200)
  check(@Body(DecisionBodyPipe) body: Body, @Res({ passthrough: true }) res: unknown) {
    return this.answer(body, false, res);
  }

  @Post('check_and_consume')
  @HttpCode(200)
  checkAndConsume(@Body(DecisionBodyPipe) body: Body, @Res({ passthrough: true }) res: unknown) {
    return this.answer(body, true, res);
  }

  private async answer(body: Body, consume: boolean, res: unknown): Promise<DecisionResponse | DecisionResponse[]> {
    const result = Array.isArray(body)
      ? await this.limiter.decideAll(body, consume, batchPath)
      : await this.limiter.decideOne(body, consume);
    if (result instanceof RequestError) throw new RequestErrorException(result);
    if (!Array.isArray(result)) {
      const policy = this.limiter.policy(result.policy) as Policy;
      for (const [name, value] of rateLimitHeaders(policy, result))
        this.adapterHost.httpAdapter.setHeader(res, name, value);
    }
    return result;
  }
}
