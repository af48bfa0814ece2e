import { Module } from '@nestjs/common';
import { StatusController } from './status.controller.js';

/** `GET /health` and `GET /stats` of the contract, on the global chat module's registries. */
@Module({
  controllers: [StatusController],
})
export class StatusModule {}
