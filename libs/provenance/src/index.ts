export * from './provenance.module';
export { TruthPackService } from './truthpack.service';
export type { ProvenanceItem } from './truthpack.service';
