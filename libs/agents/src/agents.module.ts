import { Module } from '@nestjs/common';
import { BudgetService } from './budget/budget.service';
import { ModelGateway } from './model/model-gateway';
import { AgentRunner } from './runtime/agent-runner';

/** The agent runtime: the model gateway, the job budgets and the agent loop that the team, intake and chat build on. */
@Module({
  providers: [ModelGateway, BudgetService, AgentRunner],
  exports: [ModelGateway, BudgetService, AgentRunner],
})
export class AgentsModule {}
