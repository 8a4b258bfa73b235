import 'cond';
