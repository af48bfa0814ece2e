import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { StatusController } from './status.controller.js';

@Module({
  imports: [ChatModule],
  controllers: [StatusController],
})
export class StatusModule {}
