import { Global, Module } from '@nestjs/common';
import { AuditLogController } from './audit-log.controller';
import { AuditLogRepository } from './audit-log.repository';
import { AuditLogService } from './audit-log.service';
import { AuditService } from './audit.service';

/** Writing (AuditService, inside your transaction) and reading (AuditLogService) the audit log. */
@Global()
@Module({
  controllers: [AuditLogController],
  providers: [AuditService, AuditLogRepository, AuditLogService],
  exports: [AuditService, AuditLogService],
})
export class AuditModule {}
