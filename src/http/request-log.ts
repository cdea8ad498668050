/**
 * One log line per request (at completion: method, path, status, time, request id), instead of
 * Fastify's two. Half the logging cost on the hot path, the same information.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class RequestLog extends LogController {
  constructor() {
    super({
      requestIdLogLabel: 'requestId',
      // Probes would drown the log; their failures still log as errors.
      disableRequestLogging: (request: FastifyRequest) => request.url === '/healthz' || request.url === '/readyz',
    });
  }

  override incomingRequest(request: FastifyRequest): void {
    if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const fields = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
      ip: request.ip,
    };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }
}
