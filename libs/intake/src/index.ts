export * from './intake.errors';
export * from './intake.service';
export * from './intake-model';
export * from './intake-cache';
export * from './job-intake.adapter';
export * from './intake.module';
export * from './dto/intake.dto';
