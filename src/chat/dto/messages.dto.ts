/**
 * The client messages as class-validator DTOs (Profile A). The same rules are written by hand for
 * Profile B in src/protocol/validate.ts; test/vectors/messages.json pins both.
 * Fields a class does not declare are rejected by the pipe (`forbidNonWhitelisted`).
 */
import { Equals, Matches } from 'class-validator';
import { ID_MAX_CHARS, ROOM_PATTERN, TEXT_MAX_CHARS, USER_PATTERN } from '../../core/protocol/contract.js';
import { IfPresent, IsContractText, IsTimestamp, IsTraceparent } from '../../common/index.js';

const roomMessage = { message: 'room must match ^[A-Za-z0-9_.-]{1,64}$' };

/** `traceparent`, optional on every message. */
abstract class TracedDto {
  @IfPresent() @IsTraceparent() readonly traceparent?: string;
}

export class JoinDto extends TracedDto {
  @Equals('join') readonly type!: 'join';
  @IfPresent() @Matches(ROOM_PATTERN, roomMessage) readonly room?: string;
  @Matches(USER_PATTERN, { message: 'user must match ^[A-Za-z0-9_.-]{1,32}$' }) readonly user!: string;
  @IfPresent() @IsContractText(ID_MAX_CHARS) readonly id?: string;
}

export class ChatDto extends TracedDto {
  @Equals('chat') readonly type!: 'chat';
  @IfPresent() @Matches(ROOM_PATTERN, roomMessage) readonly room?: string;
  @IsContractText(TEXT_MAX_CHARS) readonly text!: string;
  @IfPresent() @IsContractText(ID_MAX_CHARS) readonly id?: string;
  @IfPresent() @IsTimestamp() readonly ts?: number;
}

export class LeaveDto extends TracedDto {
  @Equals('leave') readonly type!: 'leave';
  @IfPresent() @Matches(ROOM_PATTERN, roomMessage) readonly room?: string;
  @IfPresent() @IsContractText(ID_MAX_CHARS) readonly id?: string;
}

/** `ping` and `pong` carry the same fields. */
export class PingDto extends TracedDto {
  @Matches(/^p[io]ng$/) readonly type!: 'ping' | 'pong';
  @IfPresent() @IsTimestamp() readonly ts?: number;
  @IfPresent() @IsContractText(ID_MAX_CHARS) readonly id?: string;
}
