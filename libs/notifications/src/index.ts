export * from './notifications.service';
export * from './notifications.dto';
export * from './notifications.module';
